"""Personal contact data (issue "Say only what is true", point 6; docs/access.md): a person's
e-mail and IM id / mobile are seen by the person, the supervision office of their government and
the offices above it, and admins; everyone else gets them withheld (null, `redacted: true`, and
masked where a message's text repeats them)."""

import time
from datetime import UTC, datetime

from access_helpers import API, CO, LEAD, OWNER, assigned_matter, do_task
from conftest import ROOT, login
from fastapi.testclient import TestClient

from app.kit.clock import clock
from app.main import create_app
from app.notifications.worker import notifier

PEOPLE = {
    "own_office": (OWNER, ["supervision_office"]),
    "own_head": (OWNER, ["office_head"]),
    "own_auditor": (OWNER, ["auditor"]),
    "superior_office": ("320000-DCS", ["supervision_office"]),
    "admin": ("320000-GO", ["admin"]),
    "lead_office": (LEAD, ["supervision_office"]),  # the district's office: the lead's own office
    "lead_handler": (LEAD, ["unit_handler"]),
    "co_handler": (CO, ["unit_handler"]),
    "co_colleague": (CO, ["unit_handler"]),
}
LEAD_IM, CO_IM = "13812345678", "13987654321"


def h(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = PEOPLE[who]
    return login(client, sub=who, unit=unit, roles=roles)


def _do(client: TestClient, who: str, element: str, variables: dict) -> None:
    do_task(client, h(client, who), element, variables)


def _contact(client: TestClient, who: str, im_id: str) -> None:
    body = {"email": f"{who}@example.gov.cn", "im_id": im_id, "channels": ["http", "email"]}
    response = client.put(f"{API}/me/contact", json=body, headers=h(client, who))
    assert response.status_code == 200, response.text


def _assigned_matter(client: TestClient) -> str:
    return str(assigned_matter(client, h)["id"])


def _messages(client: TestClient, matter_id: str, who: str) -> list[dict]:
    response = client.get(f"{API}/matters/{matter_id}/notifications", headers=h(client, who))
    assert response.status_code == 200, (who, response.text)
    return list(response.json())


def _planned(client: TestClient, matter_id: str) -> list[dict]:
    """Run the notifier's planning until both units' assignment notices exist (PostgreSQL's
    outbox may hold events back while other transactions on the server are open)."""
    worker = notifier(client.app.state.db, client.app.state.settings)
    deadline = time.monotonic() + 30
    while True:
        worker.plan()
        rows = [m for m in _messages(client, matter_id, "admin") if m["address"]]
        if {m["recipient_sub"] for m in rows} >= {"lead_handler", "co_handler"}:
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)


def test_contact_data_is_seen_by_the_person_their_offices_and_admins_only(settings):
    settings = settings.model_copy(
        update={
            "processes_dir": ROOT / "processes",
            "deploy_on_startup": True,
            "notifications_http_url": "http://127.0.0.1:9/im/send",  # planned, never delivered
        }
    )
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    try:
        with TestClient(create_app(settings)) as client:
            _check(client)
    finally:
        clock.reset()


def _check(client: TestClient) -> None:
    _contact(client, "lead_handler", LEAD_IM)
    _contact(client, "co_handler", CO_IM)
    mid = _assigned_matter(client)
    _planned(client, mid)

    # Matter notifications: who sees whose address.
    sees = {
        # reader: whose addresses they see (the person; their government's office and above)
        "lead_handler": {"lead_handler"},
        "co_handler": {"co_handler"},
        "lead_office": {"lead_handler"},  # the district's office: its district's people only
        "own_office": {"lead_handler", "co_handler"},
        "own_head": {"lead_handler", "co_handler"},
        "superior_office": {"lead_handler", "co_handler"},
        "admin": {"lead_handler", "co_handler"},
        "own_auditor": set(),  # reads everything in scope, but not people's contacts
    }
    for reader, visible in sees.items():
        for row in _messages(client, mid, reader):
            person = row["recipient_sub"]
            if person not in {"lead_handler", "co_handler"}:
                continue
            im = LEAD_IM if person == "lead_handler" else CO_IM
            if person in visible:
                assert row["address"] and not row["redacted"], (reader, row)
            else:
                assert row["address"] is None and row["redacted"] is True, (reader, row)
                assert im not in str(row) and f"{person}@example" not in str(row), (reader, row)
                assert "[redacted]" in row["body"] or row["channel"] == "email", (reader, row)

    # The contact directory: a colleague of the same unit sees the name, not the addresses.
    def directory(reader: str) -> dict[str, dict]:
        response = client.get(f"{API}/contacts", params={"unit": CO}, headers=h(client, reader))
        assert response.status_code == 200, response.text
        return {c["sub"]: c for c in response.json()["items"]}

    assert directory("co_handler")["co_handler"]["im_id"] == CO_IM
    withheld = directory("co_colleague")["co_handler"]
    assert (withheld["email"], withheld["im_id"], withheld["redacted"]) == (None, None, True)
    assert withheld["name"] and withheld["channels"] == ["http", "email"]
    for office in ("own_office", "superior_office", "admin"):
        assert directory(office)["co_handler"]["im_id"] == CO_IM, office
    assert directory("lead_office") == {}  # the city's department is outside a district's scope

    # The audit trail keeps what was submitted; an auditor reads the change, not the addresses.
    def contact_audit(reader: str) -> dict:
        response = client.get(
            f"{API}/audit",
            params={"object_type": "contact", "object_id": "co_handler"},
            headers=h(client, reader),
        )
        assert response.status_code == 200, response.text
        (row,) = response.json()["items"]
        return dict(row["data"])

    assert contact_audit("own_auditor")["im_id"] is None
    assert contact_audit("own_auditor")["redacted"] is True
    assert contact_audit("admin")["im_id"] == CO_IM

    # Retrying a message is an act on the matter: its controlling offices, not the involved one.
    # A second matter finds the district's handler without a contact: a failed row.
    assert (
        client.delete(f"{API}/contacts/lead_handler", headers=h(client, "admin")).status_code == 204
    )
    second = _assigned_matter(client)
    worker = notifier(client.app.state.db, client.app.state.settings)
    deadline = time.monotonic() + 30
    while not (
        failed := [m for m in _messages(client, second, "admin") if m["status"] == "failed"]
    ):
        assert time.monotonic() < deadline, "no failed row"
        worker.plan()
        time.sleep(0.05)
    (row,) = [m for m in failed if m["recipient_unit"] == LEAD]
    url = f"{API}/notifications/{row['id']}/retry"
    refused = client.post(url, headers=h(client, "lead_office"))
    assert refused.status_code == 403 and refused.json()["action"] == "notifications.retry"
    for office in ("own_office", "superior_office"):
        answer = client.post(url, headers=h(client, office))
        # Passed the gate, and still nobody to reach: 409 not_retryable.
        assert answer.status_code == 409 and answer.json()["code"] == "not_retryable", answer.text
