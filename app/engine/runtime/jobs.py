"""Operators' acts on timer jobs (定时作业): retries and due dates.

A job's `retries` are the attempts it has left (Camunda's count): the scheduler takes one per
failure and waits an exponential backoff (`next_attempt_at`) before the next; at 0 the job is
`failed` with an incident. Giving a failed job retries makes it wait again (its incident is
resolved as `retried`); setting a waiting job's retries to 0 fails it with an incident. Moving a
waiting timer's due date changes the engine's timer as well as the job row, so that whatever
fires it — the scheduler, or another step of the instance refreshing its timers — fires it at
the new time, once.
"""

import uuid
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.engine.persist import state
from app.engine.persist.models import Incident, Job, ProcessInstance
from app.engine.runtime import edits, failures, incidents, service
from app.engine.runtime import engine as runtime
from app.engine.runtime.engine import Engine, Loaded
from app.kit.clock import clock
from app.kit.errors import InstanceNotRunning, InvalidData, JobNotDue, NotFound

ACTIVE = ("running", "error")


def backoff_seconds(attempts: int, *, first: float, cap: float) -> float:
    """The wait after a job's `attempts`-th failure: `first`, doubled each time, at most `cap`."""
    return float(min(cap, first * 2 ** max(attempts - 1, 0)))


def set_retries(
    session: Session,
    *,
    job_id: uuid.UUID,
    retries: int,
    reason: str,
    actor: str | None,
    lock_row: bool,
) -> Job:
    """Set the retries a job has left (see the module)."""
    job, row = _job(session, job_id, lock_row)
    previous = job.retries
    job.retries = retries
    data = {"job_id": str(job.id), "retries": retries, "previous": previous, "reason": reason}
    runtime.record_history(
        session, row, "job_retries_set", actor=actor, element_id=job.element_id, data=data
    )
    if retries > 0 and job.status == "failed":
        job.status, job.next_attempt_at = "waiting", None
        job.locked_by = job.locked_until = None
        session.flush()
        for incident in _open_for(session, job):
            failures.close(session, incident, actor=actor, resolution="retried", job_id=str(job.id))
    elif retries == 0 and job.status == "waiting":
        job.status, job.next_attempt_at = "failed", None
        job.locked_by = job.locked_until = None
        message = f"retries of the timer '{job.element_id}' set to 0 by {actor}: {reason}"
        job.last_error = message
        service.raise_incident(
            session,
            row,
            "job_failed",
            message,
            element_id=job.element_id,
            job_id=job.id,
            trigger=incidents.timer_trigger(job, actor),
        )
    session.flush()
    return job


def set_due(
    engine: Engine,
    session: Session,
    *,
    job_id: uuid.UUID,
    due_at: datetime,
    reason: str,
    actor: str | None,
) -> Job:
    """Move a waiting timer to `due_at` (in the future): a running instance is stepped (the
    engine's timer and the job row move together), one in error is edited without running."""
    job, row = _job(session, job_id, lock_row=not engine.db.is_sqlite)
    if job.status != "waiting":
        raise JobNotDue(f"job is {job.status}: give it retries before moving it")
    if due_at <= clock.now():
        message = "the new due time has passed: fire the timer now with POST /jobs/{id}/execute"
        raise InvalidData(message, errors=[{"field": "due_at", "message": message}])
    loaded = runtime.load(engine, session, row.id)
    timer = state.find_task(loaded.workflow, job.task_id)
    if timer is None or not timer.has_state(TaskState.WAITING):
        raise JobNotDue("the job's timer no longer waits")
    data = {
        "job_id": str(job.id),
        "element_id": job.element_id,
        "due_at": due_at.isoformat(),
        "previous": job.due_at.isoformat(),
        "reason": reason,
    }
    if row.status == "running":
        _move_running(engine, session, loaded, timer, due_at, actor, data)
    else:
        _move(timer, due_at)
        edits.save_edit(engine, session, loaded, actor=actor, event="job_due_set", data=data)
    # A moved job starts afresh, as a cycle's next repetition does (persist.MOVE_JOB).
    fresh = {"due_at": due_at, "attempts": 0, "retries": None, "next_attempt_at": None}
    session.execute(update(Job).where(Job.id == job.id).values(**fresh))
    session.refresh(job)
    return job


def _move_running(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    timer: Any,
    due_at: datetime,
    actor: str | None,
    data: dict[str, Any],
) -> None:
    """The step that moves the timer; a process that fails in it refuses the move (422, the
    transaction rolls back: the incident it raised with it)."""
    outcome = service.run_step(
        engine,
        session,
        loaded,
        lambda _workflow: _move(timer, due_at),
        actor=actor,
        event="job_due_set",
        event_data=data,
    )
    if outcome.failure is not None:
        failure = outcome.failure
        raise InvalidData(
            "the process fails in the step that moves the timer: nothing was changed",
            errors=[{"element_id": failure.element_id, "message": failure.message}],
        )


def _move(timer: Any, due_at: datetime) -> None:
    """Set the engine timer's next fire time (a cycle: its next repetition)."""
    value = timer._get_internal_data("event_value")
    if isinstance(value, dict):
        timer._set_internal_data(event_value={**value, "next": due_at.isoformat()})
    else:
        timer._set_internal_data(event_value=due_at.isoformat())


def _job(session: Session, job_id: uuid.UUID, lock_row: bool) -> tuple[Job, ProcessInstance]:
    job = session.get(Job, job_id, with_for_update=lock_row)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    row = session.get(ProcessInstance, job.instance_id)
    if row is None:  # the job would have gone with it (ON DELETE CASCADE)
        raise NotFound(f"job {job_id} not found")
    if row.status not in ACTIVE:
        raise InstanceNotRunning(f"instance is {row.status}")
    return job, row


def _open_for(session: Session, job: Job) -> list[Incident]:
    query = select(Incident).where(Incident.job_id == job.id, Incident.resolved_at.is_(None))
    return list(session.scalars(query))
