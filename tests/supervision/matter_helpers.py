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


def sign_with_a_return(client: TestClient) -> None:
    """住建厅 (a co-unit) returns its part, the office re-assigns it to 教育厅, and 发改委 (the
    lead) and 教育厅 sign for theirs."""
    do(client, "zjt", "sign_for", {"decision": "return", "reason": "不属本单位职责"})
    do(client, "office", "reassign_unit", {"unit": "320000-JYT"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "jyt", "sign_for", {"decision": "sign"})
