"""Migration batches (迁移批次): a selection of instances moved to another version in the
background, a chunk of instances per transaction, by whichever service process holds the
batch's lease — as timers are fired (`scheduler.py`).

A batch and its instances are rows: a restart (or another process, once the lease has expired)
continues where the last committed chunk ended. An instance is migrated in the same transaction
that marks it done, so it is migrated once. An instance that cannot migrate is recorded as
failed, with the reason, and the others go on.
"""

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.db import is_database_fault
from app.engine.persist.models import MigrationBatch, MigrationItem, ProcessInstance
from app.engine.runtime import migration, migration_rows, notices
from app.engine.runtime.engine import Engine
from app.engine.runtime.migration import MIGRATABLE, Migration
from app.engine.runtime.notices import Notice
from app.kit.clock import clock
from app.kit.errors import OutcomeUnknown

log = logging.getLogger(__name__)

CHUNK = 25  # instances per transaction: small enough to hold locks briefly, big enough to be fast
DONE = {"migrated": "migrated", "failed": "failed", "skipped": "skipped"}


@dataclass(frozen=True)
class Requester:
    """Who asked for a batch (the engine knows no identity: the route layer says)."""

    sub: str
    name: str | None
    unit: str
    roles: list[str]


# Told, in its last transaction, that a batch finished (the route layer audits it).
Finished = Callable[[Session, MigrationBatch], None]


# --- selection and creation ----------------------------------------------------------------


def candidates(
    session: Session,
    *,
    source_id: uuid.UUID,
    controlled: Select[Any] | None,
    business_key: str | None = None,
    unit: str | None = None,
    status: str | None = None,
) -> list[uuid.UUID]:
    """Ids of the source version's running (or failed) instances that pass the filter, among
    those the caller controls (`controlled`, a query of ids; None: all), oldest first."""
    query = select(ProcessInstance.id).where(
        ProcessInstance.definition_id == source_id,
        ProcessInstance.status.in_([status] if status else MIGRATABLE),
    )
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    if unit is not None:
        query = query.where(ProcessInstance.unit_code == unit)
    if controlled is not None:
        query = query.where(ProcessInstance.id.in_(controlled))
    return list(session.scalars(query.order_by(ProcessInstance.created_at, ProcessInstance.id)))


def create(
    session: Session,
    plan: Migration,
    *,
    instance_ids: Sequence[uuid.UUID],
    selection: dict[str, Any],
    reason: str,
    requester: Requester,
) -> MigrationBatch:
    """A pending batch of these instances (each once, in order); a runner takes it from here."""
    source, target = plan.source, plan.target
    ids = list(dict.fromkeys(instance_ids))
    batch = MigrationBatch(
        id=uuid.uuid4(),
        source_definition_id=source.id,
        target_definition_id=target.id,
        process_key=source.key,
        source_version=source.version,
        target_process_key=target.key,
        target_version=target.version,
        instructions=[
            {"source_element_id": i.source_element_id, "target_element_id": i.target_element_id}
            for i in plan.plan.instructions
        ],
        selection=selection,
        reason=reason,
        status="pending" if ids else "completed",
        total=len(ids),
        migrated=0,
        failed=0,
        skipped=0,
        created_by=requester.sub,
        created_by_name=requester.name,
        created_roles=requester.roles,
        created_unit=requester.unit,
        created_at=clock.now(),
        finished_at=None if ids else clock.now(),
    )
    session.add(batch)
    session.flush()
    if ids:
        rows = [
            {"batch_id": batch.id, "instance_id": i, "position": n, "status": "pending"}
            for n, i in enumerate(ids)
        ]
        session.execute(insert(MigrationItem), rows)
    return batch


def plan_of(engine: Engine, session: Session, batch: MigrationBatch) -> Migration:
    """The batch's plan, checked again against the two versions (they never change)."""
    pairs = [(i["source_element_id"], i["target_element_id"]) for i in batch.instructions]
    return migration.prepare(
        engine,
        session,
        source_id=batch.source_definition_id,
        target_id=batch.target_definition_id,
        pairs=pairs,
        generate=False,
    )


# --- the runner ------------------------------------------------------------------------------


class MigrationRunner:
    """Takes a batch with a lease and migrates it a chunk per transaction; several processes
    may each run one (batches, and instances on PostgreSQL, are taken with SKIP LOCKED)."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease: timedelta,
        chunk: int = CHUNK,
        on_finished: Finished | None = None,
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.chunk = chunk
        self.on_finished = on_finished
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def round(self) -> int:
        """One chunk of the oldest batch this runner may take; how many instances it handled
        (a finished batch counts one)."""
        batch_id = self.engine.db.transaction(lambda s: self._acquire(s, None))
        return 0 if batch_id is None else self._run_chunk(batch_id)

    def run(self, batch_id: uuid.UUID) -> None:
        """Run one batch to its end, here and now (tests, benchmarks, an operator's script);
        returns at once if another process holds its lease."""
        while self.engine.db.transaction(lambda s: self._acquire(s, batch_id)) is not None:
            if self._run_chunk(batch_id) == 0:
                return

    def _acquire(self, session: Session, batch_id: uuid.UUID | None) -> uuid.UUID | None:
        """Lease an unfinished batch no other process holds (or this one's again)."""
        now = clock.now()
        query = (
            select(MigrationBatch.id)
            .where(
                MigrationBatch.status.in_(("pending", "running")),
                or_(
                    MigrationBatch.locked_until.is_(None),
                    MigrationBatch.locked_until < now,
                    MigrationBatch.locked_by == self.owner,
                ),
            )
            .order_by(MigrationBatch.created_at)
            .limit(1)
        )
        if batch_id is not None:
            query = query.where(MigrationBatch.id == batch_id)
        if not self.engine.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        found: uuid.UUID | None = session.scalar(query)
        if found is not None:
            session.execute(
                update(MigrationBatch)
                .where(MigrationBatch.id == found)
                .values(
                    status="running",
                    started_at=func.coalesce(MigrationBatch.started_at, now),
                    locked_by=self.owner,
                    locked_until=now + self.lease,
                )
            )
        return found

    def _run_chunk(self, batch_id: uuid.UUID) -> int:
        """One chunk in one transaction; if that fails, its instances one by one, so that the
        instance that fails is recorded as failed and the others go on."""
        try:
            return self.engine.db.transaction(lambda s: self._chunk(s, batch_id, self.chunk))
        except Exception as exc:  # an instance broke the chunk (logged); a database fault is
            # not the instances' failure: raised, and the chunk is tried again later
            if is_database_fault(exc) or isinstance(exc, OutcomeUnknown):
                raise
            log.warning("migration chunk of batch %s failed, one by one now: %s", batch_id, exc)
        done = 0
        for _ in range(self.chunk):
            handled = self._one(batch_id)
            if handled == 0:
                break
            done += handled
        return done

    def _one(self, batch_id: uuid.UUID) -> int:
        """The next instance alone; if it raises, it is recorded as failed."""
        try:
            return self.engine.db.transaction(lambda s: self._chunk(s, batch_id, 1))
        except Exception as exc:  # this instance's own failure (logged): recorded as failed
            if is_database_fault(exc) or isinstance(exc, OutcomeUnknown):
                raise
            log.exception("migration of an instance of batch %s failed", batch_id)
            failure = partial(self._fail_next, batch_id=batch_id, exc=exc)
            return self.engine.db.transaction(failure)

    def _chunk(self, session: Session, batch_id: uuid.UUID, size: int) -> int:
        batch = session.get(MigrationBatch, batch_id, with_for_update=not self.engine.db.is_sqlite)
        if batch is None or batch.locked_by != self.owner or batch.status == "completed":
            return 0  # the lease went to another process, or the batch is done
        items = self._pending(session, batch_id, size)
        if items:
            self._migrate(session, batch, items)
        batch.locked_until = clock.now() + self.lease
        if len(items) < size and not _has_pending(session, batch_id):
            self._finish(session, batch)
            return len(items) + 1
        return len(items)

    def _migrate(self, session: Session, batch: MigrationBatch, items: list[MigrationItem]) -> None:
        plan = plan_of(self.engine, session, batch)
        ids = [item.instance_id for item in items]
        # Their rows in one query, not one each (held here: the session holds them weakly).
        rows = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))).all()
        pending = migration_rows.Pending()
        for item in items:
            result = migration.migrate(
                self.engine,
                session,
                plan,
                item.instance_id,
                actor=batch.created_by,
                batch_id=batch.id,
                reason=batch.reason,
                pending=pending,
            )
            _record(batch, item, result.outcome, result.reason, result.elements)
        pending.send(session)
        del rows  # held until here, on purpose

    def _pending(self, session: Session, batch_id: uuid.UUID, size: int) -> list[MigrationItem]:
        query = (
            select(MigrationItem)
            .where(MigrationItem.batch_id == batch_id, MigrationItem.status == "pending")
            .order_by(MigrationItem.position)
            .limit(size)
        )
        if not self.engine.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        return list(session.scalars(query))

    def _fail_next(self, session: Session, batch_id: uuid.UUID, exc: Exception) -> int:
        """Record the next pending instance as failed (its migration raised `exc`)."""
        batch = session.get(MigrationBatch, batch_id)
        items = self._pending(session, batch_id, 1)
        if batch is None or not items:
            return 0
        _record(batch, items[0], "failed", f"{type(exc).__name__}: {exc}"[:4000], [])
        return 1

    def _finish(self, session: Session, batch: MigrationBatch) -> None:
        batch.status = "completed"
        batch.finished_at = clock.now()
        batch.locked_by = batch.locked_until = None
        data = {
            "batch_id": str(batch.id),
            "process_key": batch.process_key,
            "source_version": batch.source_version,
            "target_process_key": batch.target_process_key,
            "target_version": batch.target_version,
            "total": batch.total,
            "migrated": batch.migrated,
            "failed": batch.failed,
            "skipped": batch.skipped,
            "unit": batch.created_unit,
        }
        notices.publish(session, Notice("migration.finished", actor=batch.created_by, data=data))
        if self.on_finished is not None:
            self.on_finished(session, batch)


def _has_pending(session: Session, batch_id: uuid.UUID) -> bool:
    """Whether any instance of the batch waits (locked or not: only then is it finished)."""
    query = select(MigrationItem.instance_id).where(
        MigrationItem.batch_id == batch_id, MigrationItem.status == "pending"
    )
    return session.scalar(query.limit(1)) is not None


def _record(
    batch: MigrationBatch,
    item: MigrationItem,
    outcome: str,
    reason: str | None,
    elements: Sequence[Any],
) -> None:
    """An instance's result on its row and in the batch's counts."""
    status = DONE.get(outcome, "failed")
    item.status = status
    item.message = reason
    item.elements = [
        {
            "element_id": e.element_id,
            "element_type": e.element_type,
            "target_element_id": e.target_element_id,
            "reason": e.reason,
            "called_process": e.called_process,
        }
        for e in elements
    ]
    item.finished_at = clock.now()
    setattr(batch, status, getattr(batch, status) + 1)
