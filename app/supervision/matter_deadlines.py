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
The same holds for a matter's other rows, so a matter created in the transaction has no row
in the database the session has not seen: the rows the transaction adds that refer to it are
kept with it (`added_rows`), and its detail (the registration's answer) reads none of them.
"""

import uuid
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.db import transaction_scoped
from app.supervision.models import (
    Assignment,
    ExtensionRequest,
    Matter,
    MatterDeadline,
    ProgressReport,
    TimelineEntry,
    Urging,
)

# Session.info: {matter id: [MatterDeadline, ...]}, forgotten when the transaction ends
_KEY = transaction_scoped("supervision.matter_deadlines")
# Session.info: {id of a matter this transaction created: [the rows added that refer to it]}
# (held here: the identity map lets go of a flushed row nobody else holds)
_NEW = transaction_scoped("supervision.new_matters")
# The rows a matter's detail lists besides its deadlines, by the column that names the matter
LINKS: dict[type[Any], str] = {
    Assignment: "matter_id",
    ProgressReport: "matter_id",
    Urging: "matter_id",
    ExtensionRequest: "matter_id",
    TimelineEntry: "matter_id",
    Matter: "parent_id",  # its sub-matters
}


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
    """A matter about to be created in this transaction (its id set, before its flush) has no
    row of its own in the database yet: its deadline list starts empty, and the deadlines the
    transaction adds join it (a registration reads none); so do its other rows (`added_rows`)."""
    session.info.setdefault(_KEY, {}).setdefault(matter.id, [])
    session.info.setdefault(_NEW, {}).setdefault(matter.id, [])


def added_rows(session: Session, matter: Matter, model: type[Any]) -> list[Any] | None:
    """For a matter this transaction created (`none_yet`): its `model` rows (a kind of `LINKS`)
    that the transaction has flushed, without those it deleted — all it has written, once the
    caller has flushed; for any other matter None (its rows are the database's)."""
    added: list[Any] | None = session.info.get(_NEW, {}).get(matter.id)
    if added is None:
        return None
    return [row for row in added if type(row) is model and not inspect(row).was_deleted]


@event.listens_for(Session, "before_flush")
def _keep_added(session: Session, _context: Any, _instances: Any) -> None:
    """Rows this flush inserts or deletes, beside (or out of) a matter's loaded deadlines; and
    the rows it inserts that refer to a matter this transaction created, kept with it."""
    new: dict[uuid.UUID, list[Any]] | None = session.info.get(_NEW)
    if new:
        for row in session.new:
            link = LINKS.get(type(row))
            kept = new.get(getattr(row, link)) if link is not None else None
            if kept is not None:
                kept.append(row)
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
