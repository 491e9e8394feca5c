"""The background runner of migration batches, as the service starts it (a worker thread in
every process that runs workers: `app.main`, `ducha scheduler`), and the same runner run to a
batch's end here and now (tests, benchmarks). Its finished batches are audited."""

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from app.config import Settings
from app.engine.persist.models import MigrationBatch
from app.engine.runtime.engine import Engine
from app.engine.runtime.migration_batches import CHUNK, MigrationRunner
from app.identity import audit
from app.identity.principal import Principal
from app.worker import Worker


def audit_finished(session: Session, batch: MigrationBatch) -> None:
    """The audit record of a finished batch: by the service, for the unit that asked."""
    system = Principal(
        sub="system", name="migration runner", unit=batch.created_unit, roles=frozenset()
    )
    audit.record(
        session,
        system,
        "migration.finish",
        object_type="migration_batch",
        object_id=str(batch.id),
        unit_code=batch.created_unit,
        data={
            "requested_by": batch.created_by,
            "total": batch.total,
            "migrated": batch.migrated,
            "failed": batch.failed,
            "skipped": batch.skipped,
        },
    )


def runner(engine: Engine, settings: Settings, *, chunk: int = CHUNK) -> MigrationRunner:
    """A runner whose lease is a timer job's (`job_lease_seconds`)."""
    lease = timedelta(seconds=settings.job_lease_seconds)
    return MigrationRunner(engine, lease=lease, chunk=chunk, on_finished=audit_finished)


def worker(engine: Engine, settings: Settings) -> Worker:
    """The batches' background thread: a chunk per round, idle `scheduler_interval_seconds`
    when no batch waits."""
    return Worker("migrations", runner(engine, settings).round, settings.scheduler_interval_seconds)


def run_to_completion(engine: Engine, settings: Settings, batch_id: uuid.UUID) -> None:
    """Run one batch to its end in the calling thread (tests, benchmarks)."""
    runner(engine, settings).run(batch_id)
