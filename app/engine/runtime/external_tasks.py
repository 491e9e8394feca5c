"""Workers' and operators' acts on external tasks (外部任务): fetch and lock, complete, fail, throw
a BPMN error, extend a lock, and the operator's retries. Services flush, never commit: the route
(`app.external`, through the engine's face) commits once. What they did is published as notices
(`external_task.locked` / `completed` / `failed`, `incident.resolved`), as the step publishes
`external_task.created` (`external.sync`).

A worker holds a task while its `worker_id` is the task's and its lock has not been taken over
by another worker (an expired lock stays the holder's until another worker fetches the task).
"""

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.engine import persist
from app.engine.persist import state
from app.engine.persist.data import data_problems
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import Incident, ProcessInstance
from app.engine.runtime import engine as runtime
from app.engine.runtime import external, failures, notices, service, suspension
from app.engine.runtime.engine import Engine
from app.engine.runtime.notices import Notice
from app.engine.specs.external import ExternalTaskSpec, is_ready_external
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData, NotFound, TaskNotReady


class NotLockHolder(DomainError):
    """Only the worker holding an external task's lock may complete, fail or extend it."""

    status, code = 409, "not_lock_holder"


@dataclass(frozen=True)
class Topic:
    """One topic a worker fetches: its lock duration and the variables it wants (None: all)."""

    name: str
    lock_duration_ms: int
    variables: Sequence[str] | None = None


# --- workers -------------------------------------------------------------------------------


def fetch_and_lock(
    session: Session,
    *,
    worker_id: str,
    topics: Sequence[Topic],
    max_tasks: int,
    use_priority: bool,
    skip_locked: bool,
) -> list[ExternalTask]:
    """Lock up to `max_tasks` fetchable tasks of these topics for `worker_id`, oldest first.

    Fetchable: of a running instance (not a suspended one), not locked (or its lock expired),
    not waiting out a retry timeout, not out of retries. On PostgreSQL rows other transactions
    are locking are skipped (`FOR UPDATE SKIP LOCKED`): two workers never lock the same task.
    """
    now = clock.now()
    by_name = {t.name: t for t in topics}
    order = [ExternalTask.priority.desc()] if use_priority else []
    query = (
        select(ExternalTask)
        .join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
        .where(
            ExternalTask.topic.in_(sorted(by_name)),
            ProcessInstance.status == "running",
            or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
            or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
        )
        .order_by(*order, ExternalTask.created_at, ExternalTask.id)
        .limit(max_tasks)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=ExternalTask)
    rows = list(session.scalars(query))
    for row in rows:
        topic = by_name[row.topic]
        row.worker_id = worker_id
        row.lock_expires_at = now + timedelta(milliseconds=topic.lock_duration_ms)
        _notice(session, "external_task.locked", row, worker_id=worker_id)
    session.flush()
    return rows


def visible_variables(row: ExternalTask, topic: Topic | None) -> dict[str, Any]:
    """The task's variables, only those the topic asked for when it named some."""
    if topic is None or topic.variables is None:
        return dict(row.variables)
    return {k: v for k, v in row.variables.items() if k in set(topic.variables)}


def complete(
    engine: Engine,
    session: Session,
    *,
    task_id: uuid.UUID,
    worker_id: str,
    variables: dict[str, Any],
    actor: str | None,
) -> tuple[service.Outcome, ExternalTask]:
    """Complete the engine task with the worker's variables; the process runs until it waits
    (the step deletes the row)."""
    _check_data(variables)
    row = held(session, task_id, worker_id, lock_row=not engine.db.is_sqlite)
    loaded, task = _ready(engine, session, row)
    submitted = copy.deepcopy(variables)
    outcome = service.run_step(
        engine,
        session,
        loaded,
        external.complete_action(task, submitted),
        actor=actor,
        event="external_task_completed",
        event_data={"worker_id": worker_id, "topic": row.topic, "variables": submitted},
        event_task=task,
    )
    if outcome.failure is None:
        _notice(session, "external_task.completed", row, worker_id=worker_id, outcome="completed")
    return outcome, row


def failure(
    session: Session,
    *,
    task_id: uuid.UUID,
    worker_id: str,
    error_message: str,
    error_details: str | None,
    retries: int,
    retry_timeout_ms: int,
    actor: str | None,
    lock_row: bool,
) -> ExternalTask:
    """Record a worker's failure: the task is unlocked, fetchable again after the retry timeout;
    at 0 retries an incident is raised on the instance (an operator sets retries to resolve)."""
    row = held(session, task_id, worker_id, lock_row=lock_row)
    suspension.require_not_suspended(session, row.instance_id)
    now = clock.now()
    row.retries, row.error_message, row.error_details = retries, error_message, error_details
    row.worker_id = None
    wait = timedelta(milliseconds=retry_timeout_ms)
    row.lock_expires_at = now + wait if retries > 0 and retry_timeout_ms > 0 else None
    instance = _instance(session, row)
    _history(
        session,
        instance,
        row,
        "external_task_failed",
        actor,
        {"worker_id": worker_id, "error_message": error_message, "retries": retries},
    )
    if retries == 0:
        incident = service.raise_incident(
            session,
            instance,
            "external_task_failed",
            f"external task '{row.element_id}' (topic {row.topic}) failed: {error_message}",
            element_id=row.element_id,
            external_task_id=row.id,
        )
        row.incident_id = incident.id
    _notice(
        session,
        "external_task.failed",
        row,
        worker_id=worker_id,
        error_message=error_message,
        retries=retries,
        incident_id=str(row.incident_id) if row.incident_id else None,
    )
    session.flush()
    return row


def bpmn_error(
    engine: Engine,
    session: Session,
    *,
    task_id: uuid.UUID,
    worker_id: str,
    error_code: str,
    error_message: str | None,
    variables: dict[str, Any],
    actor: str | None,
) -> tuple[service.Outcome, ExternalTask]:
    """Throw BPMN error `error_code` from the task: an error boundary event on it (or on an
    enclosing subprocess) catches it and its path runs; uncaught, an incident is raised."""
    _check_data(variables)
    row = held(session, task_id, worker_id, lock_row=not engine.db.is_sqlite)
    loaded, task = _ready(engine, session, row)
    catcher = external.error_catcher(task, error_code)
    data = {"worker_id": worker_id, "error_code": error_code, "error_message": error_message}
    if catcher is None:
        return _uncaught(session, loaded, row, data, actor)
    # Recorded here, not as the step's event: the step would count the task as completed.
    caught = {**data, "caught_by": catcher.task_spec.bpmn_id, "variables": variables}
    _history(session, loaded.row, row, "external_task_bpmn_error", actor, caught)
    # A failure of the error path keeps the throw as its trigger: a retry throws it again.
    replay = failures.trigger_of(
        new=False, event="external_task_bpmn_error", event_data=caught, event_task=task, actor=actor
    )
    action = external.throw_action(catcher, error_code, variables)
    outcome = service.run_step(engine, session, loaded, action, actor=actor, trigger=replay)
    if outcome.failure is None:
        _notice(
            session,
            "external_task.completed",
            row,
            worker_id=worker_id,
            outcome="bpmn_error",
            error_code=error_code,
            caught_by=catcher.task_spec.bpmn_id,
        )
    return outcome, row


def _uncaught(
    session: Session,
    loaded: runtime.Loaded,
    row: ExternalTask,
    data: dict[str, Any],
    actor: str | None,
) -> tuple[service.Outcome, ExternalTask]:
    """A BPMN error no boundary event catches: the task is out of retries, with an incident."""
    error_code, error_message = data["error_code"], data["error_message"]
    message = f"BPMN error '{error_code}' from external task '{row.element_id}' is not caught"
    if error_message:
        message += f": {error_message}"
    row.retries, row.error_message, row.error_details = 0, message, None
    row.worker_id, row.lock_expires_at = None, None
    _history(session, loaded.row, row, "external_task_bpmn_error", actor, data)
    incident = service.raise_incident(
        session,
        loaded.row,
        "external_task_error",
        message,
        element_id=row.element_id,
        external_task_id=row.id,
    )
    row.incident_id = incident.id
    _notice(
        session,
        "external_task.failed",
        row,
        worker_id=data["worker_id"],
        error_code=error_code,
        error_message=message,
        retries=0,
        incident_id=str(incident.id),
    )
    session.flush()
    return service.Outcome(loaded.row.id, incident_id=incident.id), row


def extend_lock(
    session: Session, *, task_id: uuid.UUID, worker_id: str, new_duration_ms: int, lock_row: bool
) -> ExternalTask:
    """The holder keeps the task `new_duration_ms` from now."""
    row = held(session, task_id, worker_id, lock_row=lock_row)
    row.lock_expires_at = clock.now() + timedelta(milliseconds=new_duration_ms)
    _notice(session, "external_task.locked", row, worker_id=worker_id, extended=True)
    session.flush()
    return row


def held(session: Session, task_id: uuid.UUID, worker_id: str, *, lock_row: bool) -> ExternalTask:
    """The task (row-locked on PostgreSQL) if `worker_id` holds it; 404 / 409 otherwise."""
    row = session.get(ExternalTask, task_id, with_for_update=lock_row)
    if row is None:
        raise NotFound(f"external task {task_id} not found")
    if row.worker_id != worker_id:
        holder = "no worker" if row.worker_id is None else "another worker"
        raise NotLockHolder(
            f"external task {task_id} is locked by {holder}, not by '{worker_id}'",
            errors=[{"field": "worker_id", "message": "not the lock holder"}],
        )
    return row


# --- operators -------------------------------------------------------------------------------


def set_retries(
    session: Session, *, task_id: uuid.UUID, retries: int, actor: str | None, lock_row: bool
) -> ExternalTask:
    """Give a task retries again: it is fetchable at once and its open incident is resolved."""
    row = session.get(ExternalTask, task_id, with_for_update=lock_row)
    if row is None:
        raise NotFound(f"external task {task_id} not found")
    previous = row.retries
    row.retries, row.worker_id, row.lock_expires_at = retries, None, None
    instance = _instance(session, row)
    _history(
        session,
        instance,
        row,
        "external_task_retries_set",
        actor,
        {"retries": retries, "previous": previous},
    )
    incident = session.get(Incident, row.incident_id) if row.incident_id else None
    row.incident_id = None
    if incident is not None and incident.resolved_at is None:
        failures.close(session, incident, actor=actor, resolution="retried", task_id=str(row.id))
    session.flush()
    return row


def locked_clause(locked: bool) -> ColumnElement[bool]:
    """SQL condition: the task is (not) held by a worker now."""
    now = clock.now()
    held_now = (ExternalTask.worker_id.is_not(None)) & (ExternalTask.lock_expires_at > now)
    return held_now if locked else ~held_now


# --- helpers ---------------------------------------------------------------------------------


def _check_data(variables: dict[str, Any]) -> None:
    problems = data_problems(variables)
    if problems:
        for problem in problems:
            problem["field"] = f"variables/{problem['field']}"
        raise InvalidData("variables are invalid", errors=problems)


def _ready(engine: Engine, session: Session, row: ExternalTask) -> tuple[runtime.Loaded, Any]:
    """The instance, running (409 `suspended` when suspended), with the row's engine task
    ready."""
    loaded = runtime.load(engine, session, row.instance_id)
    suspension.require_running(loaded.row)
    task = state.find_task(loaded.workflow, row.id)
    if not is_ready_external(task):
        raise TaskNotReady("the external task is not ready in the engine")
    return loaded, task


def _instance(session: Session, row: ExternalTask) -> ProcessInstance:
    instance = session.get(ProcessInstance, row.instance_id)
    if instance is None:  # the row would have gone with it (ON DELETE CASCADE)
        raise NotFound(f"process instance {row.instance_id} not found")
    return instance


def _history(
    session: Session,
    instance: ProcessInstance,
    row: ExternalTask,
    event: str,
    actor: str | None,
    data: dict[str, Any],
) -> None:
    values = persist.history_row(
        instance.id,
        event,
        actor=actor,
        element_id=row.element_id,
        element_type=ExternalTaskSpec.__name__,
        task_id=row.id,
        data={"topic": row.topic, **data},
    )
    session.connection().execute(persist.INSERT_HISTORY, [values])


def _notice(session: Session, kind: str, row: ExternalTask, **data: Any) -> None:
    """Publish what a worker did to the task; the listener reads the row as it is now."""
    notice = Notice(kind, instance_id=row.instance_id, external_task=row, data=data)
    notices.publish(session, notice)
