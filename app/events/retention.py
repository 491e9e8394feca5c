"""Retention (years of data): what need not be kept is removed, in small batches.

Outbox events older than `DUCHA_OUTBOX_RETENTION_DAYS` are removed once every consumer of the
outbox (webhook dispatch, notifications) has passed them and no package still needs them — a
webhook delivery not yet made keeps its event (`keep_event_when`). On PostgreSQL a whole month
of them goes by dropping its partition (`drop_months`), the rest by batches. Readers of the
events feed (`GET /events?after=`) must read within the window: a cursor older than it
continues at the oldest event kept. Higher packages add their own sweeps (`sweep`): delivered
webhook deliveries with their attempts, sent notifications. Matters, their timelines,
instances, history and the audit trail — what the seed requires to be traceable — are never
removed here.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from psycopg.errors import LockNotAvailable
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    exists,
    func,
    not_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import partitions
from app.config import Settings
from app.db import Database
from app.events.models import EventConsumer, OutboxEvent
from app.kit.clock import clock
from app.partitions import Month

BATCH = 5_000
"""Rows one statement removes: each batch is a short transaction of its own."""

LOCK_WAIT = 0.5
"""Seconds a month's drop waits for a lock before it gives way until the next round. Detaching
a month locks the whole outbox (every change writes events) for the moment of the catalogue
change: other changes wait behind the drop at most this long. Below PostgreSQL's deadlock check
(1 s), so that the drop, not a change, is what gives way."""

log = logging.getLogger(__name__)

Sweep = Callable[[Session, datetime, Settings], int]
"""Remove one batch of what expired by `now` under the settings; the rows removed."""

_KEEPERS: list[Callable[[], ColumnElement[bool]]] = []
_SWEEPS: list[Sweep] = []


def keep_event_when(condition: Callable[[], ColumnElement[bool]]) -> None:
    """Keep every outbox event for which `condition()` (SQL on `OutboxEvent`) holds."""
    if condition not in _KEEPERS:
        _KEEPERS.append(condition)


def sweep(function: Sweep) -> None:
    """Register a sweep of a higher package; run by `Retention.round` after the outbox's."""
    if function not in _SWEEPS:
        _SWEEPS.append(function)


def remove_events(session: Session, now: datetime, settings: Settings) -> int:
    """One batch of outbox events past the window, behind every consumer, needed by nobody."""
    before = window_start(now, settings.outbox_retention_days)
    if before is None:
        return 0
    # The events' units go with them (ON DELETE CASCADE).
    return remove_batch(session, OutboxEvent, *_removable(session, before))


def drop_months(db: Database, now: datetime, settings: Settings) -> int:
    """The outbox's months (PostgreSQL: partitions by month's block of ids) before the current
    one whose every event may go (`remove_events`' conditions), each dropped as its partitions
    in a transaction of its own; the events removed. A month with an event still needed keeps
    its partition, and its other events go by batches; a month a lock holds up for `LOCK_WAIT`
    waits for the next round."""
    before = window_start(now, settings.outbox_retention_days)
    if before is None:
        return 0
    months = db.transaction(lambda session: _past_months(session.connection(), now))
    removed = 0
    for month in months:
        try:
            removed += db.transaction(partial(_drop_month, month=month, before=before))
        except OperationalError as exc:
            if not isinstance(exc.orig, LockNotAvailable):
                raise
            log.info("outbox month %s waits: a lock held it for %s s", month, LOCK_WAIT)
    return removed


def _past_months(connection: Connection, now: datetime) -> list[Month]:
    if not partitions.partitioned(connection, partitions.OUTBOX):
        return []
    return [
        month for month in partitions.months(connection, partitions.OUTBOX) if month < Month.of(now)
    ]


def _drop_month(session: Session, month: Month, before: datetime) -> int:
    """Drop `month` if every event in it may go, checked under the lock of its partitions (an
    event committed meanwhile counts; readers, and writers of other months, go on); the events
    removed."""
    session.execute(text(f"SET LOCAL lock_timeout = {int(LOCK_WAIT * 1000)}"))
    connection = session.connection()
    ids = partitions.lock_block(connection, month)
    if ids is None:
        return 0  # another process dropped it
    lo, hi = ids
    within = and_(OutboxEvent.id < hi, true() if lo is None else OutboxEvent.id >= lo)
    removable = and_(*_removable(session, before))
    if session.scalar(select(exists().where(within, not_(removable)))):
        return 0
    rows = session.scalar(select(func.count()).where(within)) or 0
    partitions.drop_block(connection, month, ids)
    log.info("outbox month %s dropped: %s events", month, rows)
    return rows


def _removable(session: Session, before: datetime) -> list[ColumnElement[bool]]:
    """What makes an outbox event removable: past the window, behind every consumer, needed by
    no package."""
    conditions: list[ColumnElement[bool]] = [OutboxEvent.time < before]
    positions = session.execute(select(EventConsumer.txid, EventConsumer.last_id)).all()
    if positions:
        slowest = min((txid, last_id) for txid, last_id in positions)
        conditions.append(tuple_(OutboxEvent.txid, OutboxEvent.id) <= tuple_(*slowest))
    return conditions + [not_(keep()) for keep in _KEEPERS]


def remove_batch(session: Session, model: Any, *conditions: ColumnElement[bool]) -> int:
    """Remove one batch of `model`'s rows (by its `id`) that meet `conditions`; the rows removed."""
    doomed = select(model.id).where(*conditions).limit(BATCH)
    result: Any = session.execute(delete(model).where(model.id.in_(doomed.scalar_subquery())))
    return int(result.rowcount or 0)


def expiring(model: Any, at: Any, days: Callable[[Settings], int], *kept: Any) -> Sweep:
    """A sweep of `model`'s rows whose time `at` is older than `days(settings)` (0: kept forever)
    and which meet `kept`'s conditions of being done with (delivered, sent)."""

    def remove(session: Session, now: datetime, settings: Settings) -> int:
        before = window_start(now, days(settings))
        return 0 if before is None else remove_batch(session, model, *kept, at < before)

    return remove


def window_start(now: datetime, days: int) -> datetime | None:
    """The instant before which rows kept `days` days have expired (None: kept forever)."""
    return None if days == 0 else now - timedelta(days=days)


class Retention:
    """Runs every sweep until each has nothing left, one batch per transaction."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    def round(self) -> int:
        """Everything expired now, batch after batch; the rows removed (0: nothing was due)."""
        removed = drop_months(self.db, clock.now(), self.settings)
        for function in [remove_events, *_SWEEPS]:
            while True:
                done = self._batch(function)
                removed += done
                if done < BATCH:
                    break
        return removed

    def _batch(self, function: Sweep) -> int:
        now = clock.now()
        return self.db.transaction(lambda session: function(session, now, self.settings))
