"""The audit trail's matters (审计对象): a row about a matter, or about a task or step of a
matter's process, names the matter by its number and title."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.supervision.models import Matter


def _uuid(text: str | None) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def matters_of(session: Session, rows: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """{audit row id: {"matter": {id, code, title}}} in one query per page."""
    by_id = {r.id: _uuid(r.object_id) for r in rows if r.object_type == "matter"}
    by_instance = {r.id: _uuid(r.instance_id) for r in rows if r.id not in by_id}
    ids = {m for m in by_id.values() if m is not None}
    instances = {i for i in by_instance.values() if i is not None}
    if not ids and not instances:
        return {}
    found = session.scalars(
        select(Matter).where(or_(Matter.id.in_(ids), Matter.instance_id.in_(instances)))
    ).all()
    shown = {m.id: {"id": str(m.id), "code": m.code, "title": m.title} for m in found}
    of_instance = {m.instance_id: shown[m.id] for m in found if m.instance_id is not None}
    out: dict[int, dict[str, Any]] = {}
    for row_id, matter_id in by_id.items():
        if matter_id in shown:
            out[row_id] = {"matter": shown[matter_id]}
    for row_id, instance_id in by_instance.items():
        if instance_id in of_instance:
            out[row_id] = {"matter": of_instance[instance_id]}
    return out
