"""The units a matter is read through (`MatterUnit`), kept with every matter and assignment written.

Written when the session flushes a new matter (its owner unit) or a new assignment (its unit),
whoever wrote it — registration, reassignment, a split — so the relation cannot fall behind the
rows it mirrors. Written with ON CONFLICT DO NOTHING: a unit that already reads the matter (the
owner assigned its own matter, a unit assigned again after a return) is not read first.
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, UOWTransaction

from app.supervision.models import Assignment, Matter, MatterUnit

INSERT_REACH = {
    "postgresql": pg_insert(MatterUnit).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(MatterUnit).on_conflict_do_nothing(),
}


def reached(new: Any) -> list[dict[str, Any]]:
    """(matter, unit) pairs of the new matters and assignments among `new`."""
    pairs: dict[tuple[Any, str], None] = {}
    for obj in new:
        if isinstance(obj, Matter):
            pairs[(obj.id, obj.owner_unit)] = None
        elif isinstance(obj, Assignment):
            pairs[(obj.matter_id, obj.unit_code)] = None
    return [{"matter_id": matter, "unit_code": unit} for matter, unit in pairs]


@event.listens_for(Session, "after_flush")
def _keep_reach(session: Session, _flush: UOWTransaction) -> None:
    # After the flush the matters exist (the foreign key holds); `session.new` still lists
    # what the flush inserted.
    rows = reached(session.new)
    if rows:
        connection = session.connection()
        connection.execute(INSERT_REACH[connection.dialect.name], rows)
