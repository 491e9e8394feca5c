"""Drive matters over REST as the demo users (shared by the supervision tests)."""

from datetime import datetime

from conftest import login
from fastapi.testclient import TestClient

from app.clock import clock

API = "/api/v1"
USERS = {
    "office": ("320000-DCS", ["supervision_office"]),
    "head": ("320000-DCS", ["office_head"]),
    "division": ("320000-GO-ZH1", ["division"]),
    "fgw": ("320000-FGW", ["unit_handler"]),
    "zjt": ("320000-ZJT", ["unit_handler"]),
    "jyt": ("320000-JYT", ["unit_handler"]),
}


def as_(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = USERS[who]
    return login(client, sub=who, unit=unit, roles=roles)


def inbox(client: TestClient, who: str) -> list[dict]:
    return client.get(f"{API}/tasks", params={"mine": True}, headers=as_(client, who)).json()[
        "items"
    ]


def do(client: TestClient, who: str, element: str, variables: dict) -> dict:
    (task,) = [t for t in inbox(client, who) if t["element_id"] == element]
    response = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": variables},
        headers=as_(client, who),
    )
    assert response.status_code == 200, response.text
    return response.json()


def matter(client: TestClient, matter_id: str) -> dict:
    return client.get(f"{API}/matters/{matter_id}", headers=as_(client, "office")).json()


def fire_due_timers(client: TestClient, to: datetime) -> None:
    clock.freeze(to)
    client.app.state.scheduler.run_due()
