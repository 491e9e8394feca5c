"""Emit events into the outbox, read them in commit-safe order, and render them as CloudEvents.

`emit` adds a row to the caller's transaction: the event exists if and only if the change
committed. `read_after` pages the outbox by an opaque cursor; on PostgreSQL it shows only events
of transactions older than every transaction still running, so a slow transaction that commits
an earlier-numbered event later is read after, never skipped. `consume` lets one named consumer
(webhook dispatch, notifications) take the next batch under a row lock: across processes, each
event is handed to each consumer once per committed batch.
"""

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    Uuid,
    bindparam,
    cast,
    column,
    event,
    func,
    insert,
    literal,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from app.db import Database, UTCDateTime
from app.events.models import EventConsumer, OutboxEvent, OutboxEventUnit
from app.identity import audit
from app.kit.clock import clock
from app.kit.errors import InvalidData

PREFIX = "ducha."
SOURCE = "/ducha"


PENDING = "ducha_outbox_pending"


@dataclass(frozen=True)
class Emitted:
    """An event added to a transaction (written at its flush, committed with the change)."""

    event_id: uuid.UUID
    type: str


def optional_id(value: object) -> str | None:
    """An id in an event's payload: its text, or null when there is none."""
    return str(value) if value is not None else None


def emit(
    session: Session,
    type_: str,
    *,
    subject: str | None,
    data: dict[str, Any],
    units: Iterable[str | None] = (),
    instance_id: uuid.UUID | None = None,
    source: str = SOURCE,
) -> Emitted:
    """Add one event (`type_` without the `ducha.` prefix, e.g. `task.created`) to the change.

    Events wait in the session and are written by `flush` — at the latest just before the
    transaction commits — all of a transaction's in one multi-row insert per table.
    """
    event_id, full_type = uuid.uuid4(), PREFIX + type_
    row = {
        "event_id": event_id,
        "type": full_type,
        "source": source,
        "subject": subject,
        "time": clock.now(),
        "data": data,
        "units": sorted({u for u in units if u}),
        "instance_id": instance_id,
    }
    session.info.setdefault(PENDING, []).append(row)
    return Emitted(event_id, full_type)


def flush(session: Session) -> None:
    """Write the session's waiting events (`txid` is the server's default: the transaction id
    on PostgreSQL, 0 on SQLite). On PostgreSQL the events and their units go in one statement —
    usually the audit append's (`take` rides with it), else here at commit."""
    if session.get_bind().dialect.name == "postgresql":
        params = take(session)
        if params is not None:
            session.execute(_INSERT_EVENTS_AND_UNITS, params)
        return
    rows = session.info.pop(PENDING, None)
    if not rows:
        return
    ids = session.scalars(
        insert(OutboxEvent).returning(OutboxEvent.id, sort_by_parameter_order=True), rows
    ).all()
    units = [
        {"event_row_id": row_id, "unit_code": code}
        for row_id, row in zip(ids, rows, strict=True)
        for code in row["units"]
    ]
    if units:
        session.execute(insert(OutboxEventUnit), units)


def take(session: Session) -> dict[str, Any] | None:
    """The waiting events as the parameter of `event_ctes` (taken: written once), or None."""
    rows = session.info.pop(PENDING, None)
    if not rows:
        return None
    return {"outbox_rows": json.dumps(rows, default=_json_value)}


def event_ctes() -> list[Any]:
    """INSERT of the events in the JSON parameter `outbox_rows` and of their units, as WITH
    clauses (PostgreSQL). The rows travel as one JSON array, so the statement and its prepared
    form never change; `jsonb_to_recordset` yields them in order, so ids follow `emit`'s order."""
    typed: list[ColumnClause[Any]] = [
        column("event_id", Uuid()),
        column("type", Text()),
        column("source", Text()),
        column("subject", Text()),
        column("time", UTCDateTime()),
        column("data", JSONB()),
        column("units", JSONB()),
        column("instance_id", Uuid()),
    ]
    records = (
        func.jsonb_to_recordset(cast(bindparam("outbox_rows", type_=Text()), JSONB))
        .table_valued(*typed)
        .render_derived(name="r", with_types=True)
    )
    names = [c.name for c in typed]
    events = (
        insert(OutboxEvent)
        .from_select(names, select(*[records.c[name] for name in names]))
        .returning(OutboxEvent.id, OutboxEvent.units)
        .cte("new_events")
    )
    units = insert(OutboxEventUnit).from_select(
        ["event_row_id", "unit_code"],
        select(events.c.id, func.jsonb_array_elements_text(events.c.units)),
    )
    return [events, units.cte("new_event_units")]


_INSERT_EVENTS_AND_UNITS = select(literal(1)).add_cte(*event_ctes())
audit.ride_along(audit.Rider("outbox", event_ctes, take))


def _json_value(value: Any) -> str:
    """Ids and times in the JSON rows, as PostgreSQL reads them back into uuid and timestamptz."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an event")
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} in an event is not JSON")


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    flush(session)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


@dataclass(frozen=True)
class Cursor:
    """A position in the outbox: after the event (txid, id)."""

    txid: int = 0
    id: int = 0

    def encode(self) -> str:
        return f"{self.txid}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None, field: str = "after") -> "Cursor":
        if not raw:
            return cls()
        try:
            txid, id_ = (int(part) for part in raw.split("."))
        except ValueError as exc:
            raise InvalidData(
                "a cursor is the `next` value of an earlier page",
                errors=[{"field": field, "message": f"'{raw[:40]}' is not a cursor"}],
            ) from exc
        return cls(txid, id_)

    @classmethod
    def of(cls, event: OutboxEvent) -> "Cursor":
        return cls(event.txid, event.id)


def _settled(session: Session) -> ColumnElement[bool]:
    """Events of transactions that can no longer be joined by an earlier-ordered one."""
    if session.get_bind().dialect.name != "postgresql":
        return true()
    return OutboxEvent.txid < text("txid_snapshot_xmin(txid_current_snapshot())")


def read_after(
    session: Session,
    cursor: Cursor,
    *,
    limit: int,
    types: list[str] | None = None,
    readable: Select[OutboxEvent] | None = None,
    until: Cursor | None = None,
) -> list[OutboxEvent]:
    """The next `limit` settled events after `cursor` (up to `until`), optionally of `types`,
    from `readable` (a caller's readable events, `app.events.queries`) or from all."""
    query = (
        (select(OutboxEvent) if readable is None else readable)
        .where(tuple_(OutboxEvent.txid, OutboxEvent.id) > tuple_(cursor.txid, cursor.id))
        .where(_settled(session))
        .order_by(OutboxEvent.txid, OutboxEvent.id)
        .limit(limit)
    )
    if until is not None:
        position = tuple_(OutboxEvent.txid, OutboxEvent.id)
        query = query.where(position <= tuple_(until.txid, until.id))
    if types:
        query = query.where(OutboxEvent.type.in_([_full(t) for t in types]))
    return list(session.scalars(query))


def last_settled(session: Session) -> Cursor | None:
    """The position of the newest settled event (None when the outbox is empty)."""
    row = session.execute(
        select(OutboxEvent.txid, OutboxEvent.id)
        .where(_settled(session))
        .order_by(OutboxEvent.txid.desc(), OutboxEvent.id.desc())
        .limit(1)
    ).first()
    return Cursor(row.txid, row.id) if row is not None else None


def _full(type_: str) -> str:
    return type_ if type_.startswith(PREFIX) else PREFIX + type_


def consume(
    db: Database,
    name: str,
    handle: Callable[[Session, list[OutboxEvent]], None],
    *,
    limit: int = 200,
) -> int:
    """Hand the next batch to consumer `name` and advance its cursor, in one transaction.

    The consumer's row is locked for the batch: two processes never take the same batch, and a
    crash before the commit leaves the cursor where it was (the batch is handed again).
    """

    def work(session: Session) -> int:
        row = session.get(EventConsumer, name, with_for_update=not db.is_sqlite)
        if row is None:
            session.add(EventConsumer(name=name, txid=0, last_id=0))
            session.flush()
            row = session.get(EventConsumer, name, with_for_update=not db.is_sqlite)
            assert row is not None
        events = read_after(session, Cursor(row.txid, row.last_id), limit=limit)
        if events:
            handle(session, events)
            row.txid, row.last_id = events[-1].txid, events[-1].id
        return len(events)

    return db.transaction(work)


def skip_to_settled(db: Database, name: str, idle: Callable[[Session], bool]) -> bool:
    """Move consumer `name` past every settled event without reading them, when `idle` says it
    has nobody to hand them to (e.g. no webhook subscription; a new one starts after the newest
    event at its creation). The newest position is read before `idle` is asked, so a consumer
    that appears in between is seen. True when it skipped.
    """

    def work(session: Session) -> bool:
        row = session.get(EventConsumer, name, with_for_update=not db.is_sqlite)
        newest = last_settled(session)
        if not idle(session):
            return False
        if newest is None:
            return True
        if row is None:
            session.add(EventConsumer(name=name, txid=newest.txid, last_id=newest.id))
        elif (newest.txid, newest.id) > (row.txid, row.last_id):
            row.txid, row.last_id = newest.txid, newest.id
        return True

    return db.transaction(work)


def cloudevent(event: OutboxEvent) -> dict[str, Any]:
    """The event in CloudEvents 1.0 JSON structured mode."""
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(event.event_id),
        "source": event.source,
        "type": event.type,
        "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": event.data,
    }
    if event.subject:
        body["subject"] = event.subject
    if event.units:
        body["duchaunits"] = ",".join(event.units)  # extension attribute: the unit scope
    return body
