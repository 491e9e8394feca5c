"""The workers' and operators' acts on external tasks, one function each: `fn(session, *, actor,
…)` run by a route in one transaction (`app.engine.run` / `run_step`). Each loads its task inside
that transaction, changes it through the engine's face (`app.engine.runtime.external_tasks`),
writes the audit record and answers with the schema the route returns."""

import uuid

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.engine import (
    Engine,
    ExternalTask,
    ExternalTopic,
    Outcome,
    ProcessInstance,
    complete_external_task,
    extend_external_lock,
    external_variables,
    fail_external_task,
    fetch_external_tasks,
    instance_to_control,
    set_external_retries,
    throw_bpmn_error,
)
from app.external import queries
from app.external.schemas import (
    BpmnError,
    Complete,
    ExtendLock,
    ExternalTaskOut,
    ExternalTaskResult,
    Failure,
    FetchAndLock,
    SetRetries,
)
from app.identity import audit
from app.identity.principal import Principal


def fetch_and_lock(
    s: Session,
    *,
    engine: Engine,
    actor: Principal,
    body: FetchAndLock,
    topics: list[ExternalTopic],
) -> list[ExternalTaskOut]:
    """Lock up to `max_tasks` tasks of the topics for the worker, each with the variables its
    topic asks for; the audit names the tasks locked (none written when none wait)."""
    rows = fetch_external_tasks(
        s,
        worker_id=body.worker_id,
        topics=topics,
        max_tasks=body.max_tasks,
        use_priority=body.use_priority,
        skip_locked=not engine.db.is_sqlite,
    )
    by_name = {t.name: t for t in topics}
    out = [
        ExternalTaskOut.model_validate(r).model_copy(
            update={"variables": external_variables(r, by_name.get(r.topic))}
        )
        for r in rows
    ]
    if rows:
        audit.record(
            s,
            actor,
            "external_task.lock",
            object_type="external_task",
            object_id=None,
            data={
                "worker_id": body.worker_id,
                "topics": [t.name for t in body.topics],
                "locked": [str(r.id) for r in rows],
            },
        )
    return out


def complete(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: Complete
) -> tuple[Outcome, ExternalTaskResult | None]:
    """Complete a task the worker holds, its variables merged into the process, which runs on."""
    outcome, row = complete_external_task(
        engine,
        s,
        task_id=task_id,
        worker_id=body.worker_id,
        variables=body.variables,
        actor=actor.sub,
    )
    result = None
    if outcome.failure is None and outcome.loaded is not None:
        result = ExternalTaskResult(
            id=task_id,
            process_instance_id=row.instance_id,
            outcome="completed",
            instance_status=outcome.loaded.row.status,
        )
    _audit(s, actor, "external_task.complete", row, body)
    return outcome, result


def failure(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: Failure
) -> ExternalTaskResult:
    """The work failed: fetchable again after the timeout while retries are left; at 0 an
    incident is raised on the instance."""
    row = fail_external_task(
        s,
        task_id=task_id,
        worker_id=body.worker_id,
        error_message=body.error_message,
        error_details=body.error_details,
        retries=body.retries,
        retry_timeout_ms=body.retry_timeout_ms,
        actor=actor.sub,
        lock_row=not engine.db.is_sqlite,
    )
    _audit(s, actor, "external_task.failure", row, body)
    return ExternalTaskResult(
        id=task_id,
        process_instance_id=row.instance_id,
        outcome="incident" if row.incident_id else "failed",
        retries=row.retries,
        lock_expires_at=row.lock_expires_at,
        incident_id=row.incident_id,
    )


def bpmn_error(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: BpmnError
) -> tuple[Outcome, ExternalTaskResult | None]:
    """A business error: a catching error boundary event takes the process down its path;
    uncaught, an incident is raised."""
    outcome, row = throw_bpmn_error(
        engine,
        s,
        task_id=task_id,
        worker_id=body.worker_id,
        error_code=body.error_code,
        error_message=body.error_message,
        variables=body.variables,
        actor=actor.sub,
    )
    result = None
    if outcome.failure is None:
        caught = outcome.loaded is not None
        result = ExternalTaskResult(
            id=task_id,
            process_instance_id=row.instance_id,
            outcome="error_caught" if caught else "incident",
            incident_id=None if caught else outcome.incident_id,
            retries=None if caught else 0,
            instance_status=outcome.loaded.row.status if outcome.loaded else "error",
        )
    _audit(s, actor, "external_task.bpmn_error", row, body)
    return outcome, result


def extend_lock(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: ExtendLock
) -> ExternalTaskResult:
    """Keep a task the worker holds for `new_duration_ms` from now."""
    row = extend_external_lock(
        s,
        task_id=task_id,
        worker_id=body.worker_id,
        new_duration_ms=body.new_duration_ms,
        lock_row=not engine.db.is_sqlite,
    )
    _audit(s, actor, "external_task.extend_lock", row, body)
    return ExternalTaskResult(
        id=task_id,
        process_instance_id=row.instance_id,
        outcome="lock_extended",
        lock_expires_at=row.lock_expires_at,
    )


def set_retries(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: SetRetries
) -> ExternalTaskResult:
    """Give a task retries again (an operator controlling its instance): its incident is
    resolved and the instance runs again when no other incident is open."""
    found = queries.readable_task(s, actor, task_id)
    instance_to_control(s, actor, found.instance_id, "incidents.resolve")
    row = set_external_retries(
        s,
        task_id=task_id,
        retries=body.retries,
        actor=actor.sub,
        lock_row=not engine.db.is_sqlite,
    )
    instance = s.get(ProcessInstance, row.instance_id)
    _audit(s, actor, "external_task.set_retries", row, body)
    return ExternalTaskResult(
        id=task_id,
        process_instance_id=row.instance_id,
        outcome="retries_set",
        retries=row.retries,
        instance_status=instance.status if instance else None,
    )


def _audit(s: Session, actor: Principal, action: str, row: ExternalTask, body: BaseModel) -> None:
    """The audit record of a worker's or operator's act on an external task."""
    audit.record_change(
        s,
        actor,
        action,
        row,
        object_type="external_task",
        data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
        unit_code=row.unit_code,
    )
