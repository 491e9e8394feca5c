"""A matter's deadline rows (时限), read from the database once per transaction.

A step of a matter's process reads its deadlines several times: the recorder closes the one the
step fulfils, the lights are computed from all of them, and a change answers with the matter's
detail. Each read was a statement, and the lights' read had to flush the step's changes first
(sessions do not autoflush), so one step wrote the matter and its timeline twice. Now the first
read loads every deadline of the matter and the session keeps them (`Session.info`) until its
transaction ends; later reads take the same objects, with what the transaction has added since:

- a deadline added (`session.add`) and not yet flushed is in `session.new`; it is flushed then,
  so that it has its id (rarely: registration and a look back's reopening add deadlines);
- one added and flushed by then was put beside the loaded ones by the flush (`_keep_added`);
- one deleted is left out (`session.deleted`, and the flush takes it out);
- when the transaction ends (commit, rollback, a savepoint's end) the rows are forgotten.

Every deadline row is written through the ORM (registration, a look back's reopening), which
is what lets the session see them; a Core `INSERT` into `matter_deadlines` would not be seen.
"""

import uuid
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.db import transaction_scoped
from app.supervision.models import Matter, MatterDeadline

# Session.info: {matter id: [MatterDeadline, ...]}, forgotten when the transaction ends
_KEY = transaction_scoped("supervision.matter_deadlines")


def deadlines_of(
    session: Session, matter: Matter, unit: str | None = None, kind: str | None = None
) -> list[MatterDeadline]:
    """The matter's deadlines (of one unit and/or one kind), earliest due first."""
    loaded: dict[uuid.UUID, list[MatterDeadline]] = session.info.setdefault(_KEY, {})
    rows = loaded.get(matter.id)
    if rows is None:
        query = select(MatterDeadline).where(MatterDeadline.matter_id == matter.id)
        rows = loaded[matter.id] = list(session.scalars(query))
    added = [
        row
        for row in session.new
        if isinstance(row, MatterDeadline) and row.matter_id == matter.id and row not in rows
    ]
    if added:
        rows.extend(added)
        session.flush()  # their ids: the lights and the detail key deadlines by id
    deleted = session.deleted
    found = [
        row
        for row in rows
        if row not in deleted
        and (unit is None or row.unit_code == unit)
        and (kind is None or row.kind == kind)
    ]
    found.sort(key=lambda row: row.due)  # stable: rows due the same day keep their order
    return found


def none_yet(session: Session, matter: Matter) -> None:
    """A matter created in this transaction has no deadline in the database yet: its list
    starts empty, and the deadlines the transaction adds join it (a registration reads none)."""
    session.info.setdefault(_KEY, {}).setdefault(matter.id, [])


@event.listens_for(Session, "before_flush")
def _keep_added(session: Session, _context: Any, _instances: Any) -> None:
    """Rows this flush inserts or deletes, beside (or out of) a matter's loaded deadlines."""
    loaded: dict[uuid.UUID, list[MatterDeadline]] | None = session.info.get(_KEY)
    if not loaded:
        return
    for row in session.new:
        if isinstance(row, MatterDeadline):
            rows = loaded.get(row.matter_id)
            if rows is not None and row not in rows:
                rows.append(row)
    for row in session.deleted:
        if isinstance(row, MatterDeadline):
            rows = loaded.get(row.matter_id)
            if rows is not None and row in rows:
                rows.remove(row)
