"""Helpers for the operators' repairs (variables, incidents, jobs): REST calls, the callers of
the access cases, and the events and audit rows a repair leaves."""

import json
import uuid
from typing import Any

from conftest import ROOT, login
from engine_helpers import API
from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from app.events.models import OutboxEvent

OWNER, INVOLVED = "320100-DCS", "320102-DCS"  # Nanjing's office; Xuanwu district's office
# Each caller: unit and roles; the relation to an instance owned by Nanjing's office that gave
# a task to Xuanwu district is in the name.
CALLERS: dict[str, tuple[str, list[str]]] = {
    "owner_office": (OWNER, ["supervision_office"]),
    "superior_office": ("320000-DCS", ["supervision_office"]),
    "involved_office": (INVOLVED, ["supervision_office"]),  # sees, does not control: 403
    "sibling_city_office": ("320200-DCS", ["supervision_office"]),  # does not see: 404
    "owner_auditor": (OWNER, ["auditor"]),  # reads, may not act: 403 by role
    "involved_handler": (INVOLVED, ["unit_handler"]),  # works the task given to the district
}


def as_caller(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = CALLERS[who]
    return login(client, sub=f"caller-{who}", unit=unit, roles=roles)


def start_owned(client: TestClient, key: str, **variables: Any) -> Response:
    """Start `key` owned by Nanjing's office (the default tester, the province's office above,
    starts it for them)."""
    body = {"process_key": key, "unit": OWNER, "variables": variables}
    return client.post(f"{API}/process-instances", json=body)


def involve(client: TestClient, task_id: str) -> None:
    """Give a ready task to Xuanwu district: the district's office then sees the instance."""
    response = client.post(f"{API}/tasks/{task_id}/assign", json={"unit": INVOLVED})
    assert response.status_code == 200, response.text


def incidents(client: TestClient, **params: Any) -> list[dict]:
    response = client.get(f"{API}/incidents", params=params)
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


def retry(
    client: TestClient, incident_id: str, headers: dict | None = None, **body: Any
) -> Response:
    body.setdefault("reason", "fixed the cause")
    return client.post(f"{API}/incidents/{incident_id}/retry", json=body, headers=headers or {})


def resolve(
    client: TestClient, incident_id: str, note: str, headers: dict | None = None
) -> Response:
    return client.post(
        f"{API}/incidents/{incident_id}/resolve", json={"note": note}, headers=headers or {}
    )


def patch_variables(
    client: TestClient, instance_id: str, headers: dict | None = None, **body: Any
) -> Response:
    body.setdefault("reason", "the registrar typed it wrong")
    return client.patch(
        f"{API}/process-instances/{instance_id}/variables", json=body, headers=headers or {}
    )


def outbox(client: TestClient, instance_id: str, type_: str) -> list[dict]:
    """The data of one type's events of an instance, in order, each checked against its JSON
    Schema (docs/events)."""
    schema = json.loads((ROOT / "docs" / "events" / f"{type_}.schema.json").read_text())
    checker = Draft202012Validator(schema["properties"]["data"], format_checker=FormatChecker())
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        rows = s.scalars(
            select(OutboxEvent.data)
            .where(
                OutboxEvent.instance_id == uuid.UUID(instance_id),
                OutboxEvent.type == f"ducha.{type_}",
            )
            .order_by(OutboxEvent.id)
        )
        found = [dict(r) for r in rows]
    for data in found:
        checker.validate(data)
    return found


def audit_rows(client: TestClient, action: str) -> list[dict]:
    """The audit rows of one action, newest first."""
    response = client.get(f"{API}/audit", params={"action": action, "limit": 500})
    assert response.status_code == 200, response.text
    rows: list[dict] = response.json()["items"]
    return rows
