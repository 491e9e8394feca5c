"""The timer loop: acquire due jobs with a lease (skipping rows others hold), fire each once."""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import is_database_fault
from app.engine.persist.models import Job, ProcessInstance
from app.engine.runtime import incidents, jobs, service
from app.engine.runtime.engine import Engine
from app.kit.clock import clock
from app.kit.errors import OutcomeUnknown

log = logging.getLogger(__name__)


class Scheduler:
    """Fires due timers in a background thread; several processes may run one each."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.interval = settings.scheduler_interval_seconds
        self.batch = settings.scheduler_batch_size
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self.max_attempts = settings.job_max_attempts
        self.backoff_first = settings.job_backoff_seconds
        self.backoff_cap = settings.job_backoff_max_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Chores run by the loop about once per `housekeeping_seconds` (e.g. expired keys).
        self.housekeeping: list[Callable[[], object]] = []
        self.housekeeping_seconds = settings.housekeeping_seconds
        self._chores_at = 0.0
        # A round failed (the database went away): jobs it leased may still be held by us.
        self._holding = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ducha-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job in hand; jobs acquired but not run are released at once."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._chores()
            try:
                fired = self.run_due()
            except Exception:  # keep the loop alive whatever one round hits
                log.exception("scheduler round failed")
                fired = 0
            if fired < self.batch:
                self._wake.wait(self.interval)
                self._wake.clear()

    def _chores(self) -> None:
        if time.monotonic() < self._chores_at:
            return
        self._chores_at = time.monotonic() + self.housekeeping_seconds
        self.run_chores()

    def run_chores(self) -> None:
        """Run every housekeeping chore once (the loop does this every `housekeeping_seconds`)."""
        for chore in self.housekeeping:
            try:
                chore()
            except Exception:
                log.exception("housekeeping failed")

    def run_due(self) -> int:
        """One round: acquire up to a batch of due jobs and fire them; returns how many ran.

        A round that fails (even in acquiring: a COMMIT whose outcome is unknown) leaves jobs
        leased to this scheduler; the next round first releases them, so due timers wait for
        the database to return, not for a whole lease.
        """
        if self._holding:
            self.release_held()
        self._holding = True
        acquired = self.engine.db.transaction(self._acquire)
        done = 0
        for index, job_id in enumerate(acquired):
            if self._stop.is_set():
                self._release(acquired[index:])
                break
            self._fire(job_id)
            done += 1
        self._holding = False
        return done

    def release_held(self) -> None:
        """Release every waiting job this scheduler still leases (after a failed round)."""
        self.engine.db.transaction(
            lambda s: s.execute(
                update(Job)
                .where(Job.locked_by == self.owner, Job.status == "waiting")
                .values(locked_by=None, locked_until=None)
            )
        )
        self._holding = False

    def _acquire(self, session: Session) -> list[uuid.UUID]:
        now = clock.now()
        query = (
            select(Job.id)
            .join(ProcessInstance, ProcessInstance.id == Job.instance_id)
            .where(
                Job.status == "waiting",
                Job.due_at <= now,
                ProcessInstance.status == "running",
                or_(Job.locked_until.is_(None), Job.locked_until < now),
                or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now),
            )
            .order_by(Job.due_at)
            .limit(self.batch)
        )
        if not self.engine.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Job)
        ids = list(session.scalars(query))
        if ids:
            session.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(locked_by=self.owner, locked_until=now + self.lease)
            )
        return ids

    def _fire(self, job_id: uuid.UUID) -> None:
        try:
            self.engine.db.transaction(
                lambda s: service.execute_job(
                    self.engine, s, job_id=job_id, actor="scheduler", owner=self.owner
                )
            )
        except Exception as exc:
            if is_database_fault(exc) or isinstance(exc, OutcomeUnknown):
                raise  # not the job's failure: the round stops, its jobs are released
            log.warning("job %s failed: %s", job_id, exc)
            error = exc
            self.engine.db.transaction(lambda s: self._record_failure(s, job_id, error))

    def _record_failure(self, session: Session, job_id: uuid.UUID, exc: Exception) -> None:
        """A failure takes one of the job's retries (DUCHA_JOB_MAX_ATTEMPTS until an operator
        sets them): with some left it waits an exponential backoff, else it fails with an
        incident that keeps the timer as its trigger (a retry fires it again)."""
        job = session.get(Job, job_id)
        if job is None or job.locked_by != self.owner:
            return
        job.attempts += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
        job.locked_by = job.locked_until = None
        left = (job.retries if job.retries is not None else self.max_attempts) - 1
        job.retries = max(left, 0)
        if left > 0:
            wait = jobs.backoff_seconds(
                job.attempts, first=self.backoff_first, cap=self.backoff_cap
            )
            job.next_attempt_at = clock.now() + timedelta(seconds=wait)
            return
        job.status, job.next_attempt_at = "failed", None
        row = session.get(ProcessInstance, job.instance_id)
        if row is not None:
            service.raise_incident(
                session,
                row,
                "job_failed",
                job.last_error,
                element_id=job.element_id,
                job_id=job.id,
                trigger=incidents.timer_trigger(job, "scheduler"),
            )

    def _release(self, job_ids: list[uuid.UUID]) -> None:
        self.engine.db.transaction(
            lambda s: s.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.locked_by == self.owner)
                .values(locked_by=None, locked_until=None)
            )
        )
