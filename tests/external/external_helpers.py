"""Helpers for the external task tests: every call goes through the public REST API."""

from pathlib import Path
from typing import Any

from conftest import login
from fastapi.testclient import TestClient
from httpx import Response

HERE = Path(__file__).resolve().parent
BPMN_DIR = HERE / "bpmn"
API = "/api/v1"
EXT = f"{API}/external-tasks"


def worker_headers(client: TestClient, sub: str = "sms-gateway") -> dict[str, str]:
    """A worker system's token: role `worker` only (an external system, not a person)."""
    return login(client, sub=sub, unit="320000-GO", roles=["worker"])


def deploy(client: TestClient, name: str) -> Response:
    """POST one of the test diagrams; returns the raw response."""
    xml = (BPMN_DIR / name).read_bytes()
    return client.post(
        f"{API}/process-definitions", files=[("file", (name, xml, "application/xml"))]
    )


def start(client: TestClient, key: str, **body: Any) -> dict:
    """Start an instance (as the default tester); returns its detail."""
    response = client.post(f"{API}/process-instances", json={"process_key": key, **body})
    assert response.status_code == 201, response.text
    detail: dict = response.json()
    return detail


def fetch(
    client: TestClient,
    worker: str,
    topic: str,
    *,
    max_tasks: int = 10,
    lock_ms: int = 60_000,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> list[dict]:
    """fetch-and-lock one topic as `worker`; returns the locked tasks."""
    body = {
        "worker_id": worker,
        "topics": [{"name": topic, "lock_duration_ms": lock_ms, **extra}],
        "max_tasks": max_tasks,
    }
    response = client.post(f"{EXT}/fetch-and-lock", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    tasks: list[dict] = response.json()
    return tasks


def act(
    client: TestClient,
    task_id: str,
    action: str,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> Response:
    """POST /external-tasks/{id}/{action}; returns the raw response."""
    return client.post(f"{EXT}/{task_id}/{action}", json=body, headers=headers or {})


def listed(client: TestClient, **params: Any) -> list[dict]:
    """GET /external-tasks with filters; the items."""
    response = client.get(EXT, params=params)
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


def instance(client: TestClient, instance_id: str) -> dict:
    response = client.get(f"{API}/process-instances/{instance_id}")
    assert response.status_code == 200, response.text
    detail: dict = response.json()
    return detail


def history(client: TestClient, instance_id: str) -> list[str]:
    """The instance's history event names, oldest first."""
    response = client.get(f"{API}/process-instances/{instance_id}/history")
    assert response.status_code == 200, response.text
    return [e["event"] for e in response.json()]


def outbox_types(client: TestClient, instance_id: str) -> list[str]:
    """The event types the outbox holds for an instance, in order (read from the database)."""
    import uuid

    from sqlalchemy import select

    from app.events.models import OutboxEvent

    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        rows = s.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.instance_id == uuid.UUID(instance_id))
            .order_by(OutboxEvent.id)
        )
        return [t.removeprefix("ducha.") for t in rows]
