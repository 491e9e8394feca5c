"""Drive the REST API as the demo users: who they are, their inbox, completing their tasks.

Shared by every area's helpers (matters, plans, activities, results) and the year-long test.
"""

import time

from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import text

API = "/api/v1"
DEPUTY_UNIT = "320000-DBLL"  # 代表委员联络组 (created on demand by the activity helpers)
EVALUATOR_UNIT = "320000-PGJG"  # 受托第三方评估机构
USERS = {
    "office": ("320000-DCS", ["supervision_office"]),
    "head": ("320000-DCS", ["office_head"]),
    "auditor": ("320000-DCS", ["auditor"]),
    "leader": ("320000-GOV", ["leader"]),  # the province's principal leader / leader in charge
    "admin": ("320000-GOV", ["admin"]),
    "division": ("320000-GO-ZH1", ["division"]),
    "division_jj": ("320000-GO-JJ", ["division"]),
    "fgw": ("320000-FGW", ["unit_handler"]),
    "fgw_head": ("320000-FGW", ["unit_head"]),
    "zjt": ("320000-ZJT", ["unit_handler"]),
    "jyt": ("320000-JYT", ["unit_handler"]),
    "personnel": ("320000-ZJT", ["personnel"]),
    "deputy_li": (DEPUTY_UNIT, ["deputy"]),
    "deputy_zhao": (DEPUTY_UNIT, ["deputy"]),
    "evaluator": (EVALUATOR_UNIT, ["evaluator"]),
    "city_office": ("320100-DCS", ["supervision_office"]),
    "nanjing_office": ("320100-DCS", ["supervision_office"]),
    "city_head": ("320100-DCS", ["office_head"]),
    "city_division": ("320100-GO", ["division"]),
}


def as_(client: TestClient, who: str) -> dict[str, str]:
    """Authorization headers of one demo user."""
    unit, roles = USERS[who]
    return login(client, sub=who, unit=unit, roles=roles)


def inbox(client: TestClient, who: str, instance_id: str | None = None) -> list[dict]:
    """`who`'s ready tasks (of one instance, when given)."""
    response = client.get(
        f"{API}/tasks", params={"mine": True, "limit": 500}, headers=as_(client, who)
    )
    assert response.status_code == 200, response.text
    return [t for t in response.json()["items"] if instance_id in (None, t["instance_id"])]


def do(
    client: TestClient,
    who: str,
    element: str,
    variables: dict,
    instance_id: str | None = None,
    *,
    status: int = 200,
) -> dict:
    """Complete `who`'s one ready task of `element` (in one instance, when given); asserts the
    status and returns the body."""
    (task,) = [
        t
        for t in inbox(client, who, instance_id)
        if t["element_id"] == element and t["assignee"] in (None, who)
    ]
    response = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": variables},
        headers=as_(client, who),
    )
    assert response.status_code == status, response.text
    return response.json()


def get(client: TestClient, path: str, who: str = "office", params: dict | None = None) -> dict:
    """GET `path` (below /api/v1) as `who`, with query `params`; asserts 200."""
    response = client.get(f"{API}{path}", params=params, headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def caught_up(client: TestClient, timeout: float = 30) -> None:
    """Wait until every transaction that committed so far is settled for readers.

    PostgreSQL readers see an event once no older write transaction is still running, in any
    database of the server (transaction ids are server-wide): other test runs' transactions can
    hold the feed back for a moment, never lose an event. SQLite settles at commit.
    """
    db = client.app.state.engine.db
    if db.is_sqlite:
        return
    with db.session() as s:
        now = s.scalar(text("SELECT txid_current()"))
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        with db.session() as s:
            if s.scalar(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")) > now:
                return
        time.sleep(0.02)
    raise AssertionError("a write transaction of the server has been running for 30 s")
