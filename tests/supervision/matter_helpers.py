"""Drive matters over REST as the demo users (shared by the supervision tests)."""

import uuid
from datetime import datetime

from fastapi.testclient import TestClient
from rest import API, as_, do, inbox  # noqa: F401 - re-exported for the tests
from sqlalchemy import select

from app.kit.clock import clock
from app.supervision.models import MatterUnit


def matter(client: TestClient, matter_id: str) -> dict:
    return client.get(f"{API}/matters/{matter_id}", headers=as_(client, "office")).json()


def fire_due_timers(client: TestClient, to: datetime) -> None:
    clock.freeze(to)
    client.app.state.scheduler.run_due()


def open_flags(client: TestClient, matter_id: str) -> set[bool]:
    """The `open` marks of the units a matter is read through (one value when they agree)."""
    with client.app.state.db.session() as s:
        where = MatterUnit.matter_id == uuid.UUID(matter_id)
        return set(s.scalars(select(MatterUnit.open).where(where)))
