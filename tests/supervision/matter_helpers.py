"""Drive matters over REST as the demo users (shared by the supervision tests)."""

from datetime import datetime

from fastapi.testclient import TestClient
from rest import API, as_, do, inbox  # noqa: F401 - re-exported for the tests

from app.kit.clock import clock


def matter(client: TestClient, matter_id: str) -> dict:
    return client.get(f"{API}/matters/{matter_id}", headers=as_(client, "office")).json()


def fire_due_timers(client: TestClient, to: datetime) -> None:
    clock.freeze(to)
    client.app.state.scheduler.run_due()
