"""The units a matter is read through (`MatterUnit`), kept with every matter and assignment written.

Written when the session flushes a new matter (its owner unit) or a new assignment (its unit),
whoever wrote it — registration, reassignment, a split — so the relation cannot fall behind the
rows it mirrors. Written with ON CONFLICT DO NOTHING: a unit that already reads the matter (the
owner assigned its own matter, a unit assigned again after a return) is not read first.

Each row's `open` mirrors its matter's status: taken from the matter when the row is written, and
set on every row of a matter in the flush that closes or reopens it (`status` across "closed").
"""

from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, UOWTransaction, attributes

from app.supervision.matter_lights import CLOSED
from app.supervision.models import Assignment, Matter, MatterUnit

# The matter's own row says whether it is open (a new assignment's matter need not be loaded).
_OPEN_NOW = select(Matter.status != CLOSED).where(Matter.id == bindparam("m_id")).scalar_subquery()
_ROW = {"matter_id": bindparam("m_id"), "unit_code": bindparam("u_code"), "open": _OPEN_NOW}
INSERT_REACH = {
    "postgresql": pg_insert(MatterUnit).values(_ROW).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(MatterUnit).values(_ROW).on_conflict_do_nothing(),
}
SET_OPEN = (
    update(MatterUnit)
    .where(MatterUnit.matter_id == bindparam("m_id"))
    .values(open=bindparam("is_open"))
)


def reached(new: Any) -> list[dict[str, Any]]:
    """(matter, unit) pairs of the new matters and assignments among `new`."""
    pairs: dict[tuple[Any, str], None] = {}
    for obj in new:
        if isinstance(obj, Matter):
            pairs[(obj.id, obj.owner_unit)] = None
        elif isinstance(obj, Assignment):
            pairs[(obj.matter_id, obj.unit_code)] = None
    return [{"m_id": matter, "u_code": unit} for matter, unit in pairs]


def opened_or_closed(dirty: Any) -> list[dict[str, Any]]:
    """The matters among `dirty` whose flushed status crossed "closed", with whether now open.
    A status written without the old one loaded (an expired matter) may have crossed: its
    links are set too."""
    changed = []
    for obj in dirty:
        if not isinstance(obj, Matter):
            continue
        history = attributes.get_history(obj, "status")
        if not history.added:
            continue
        is_open = history.added[0] != CLOSED
        if history.deleted and (history.deleted[0] != CLOSED) == is_open:
            continue
        changed.append({"m_id": obj.id, "is_open": is_open})
    return changed


@event.listens_for(Session, "after_flush")
def _keep_reach(session: Session, _flush: UOWTransaction) -> None:
    # After the flush the matters exist (the foreign key holds) with the status just written;
    # `session.new` and `session.dirty` still list what the flush wrote, with its history.
    rows = reached(session.new)
    changed = opened_or_closed(session.dirty)
    if not rows and not changed:
        return
    connection = session.connection()
    if rows:
        connection.execute(INSERT_REACH[connection.dialect.name], rows)
    if changed:
        connection.execute(SET_OPEN, changed)
