"""REST routes of external tasks (外部任务): workers fetch, lock and finish BPMN service tasks;
operators list them and resolve their incidents."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from app.engine.api import access
from app.engine.api.deps import EngineDep, stepped
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import service
from app.external import queries
from app.external import service as external_tasks
from app.external.schemas import (
    BpmnError,
    Complete,
    ExtendLock,
    ExternalTaskDetail,
    ExternalTaskOut,
    ExternalTaskResult,
    Failure,
    FetchAndLock,
    SetRetries,
)
from app.identity import audit
from app.identity.policy import Forbidden, allowed, current_principal, permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.errors import InvalidData
from app.kit.paging import page
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1/external-tasks", tags=["external tasks"], responses=ERRORS)
Worker = Annotated[Principal, Depends(permission("external_tasks.work"))]
routers: list[APIRouter] = [router]


async def _reader(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Workers (every topic), and the offices and admins who resolve incidents (in scope)."""
    if not (allowed(principal, "external_tasks.work") or allowed(principal, "incidents.resolve")):
        raise Forbidden(
            "your roles do not allow reading external tasks", action="external_tasks.read"
        )
    return principal


Reader = Annotated[Principal, Depends(_reader)]


@router.post("/fetch-and-lock", response_model=list[ExternalTaskOut])
def fetch_and_lock(
    body: FetchAndLock, request: Request, engine: EngineDep, principal: Worker
) -> list[ExternalTaskOut]:
    """Lock up to `max_tasks` tasks of the topics for `worker_id`; an empty list when none wait.

    Workers see every topic they ask for. Two workers never hold the same task."""
    settings = request.app.state.settings
    _check_fetch(body, settings.external_task_max_fetch, settings.external_task_max_lock_ms)
    topics = [external_tasks.Topic(t.name, t.lock_duration_ms, t.variables) for t in body.topics]

    def work(s: Session) -> list[ExternalTaskOut]:
        rows = external_tasks.fetch_and_lock(
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
                update={"variables": external_tasks.visible_variables(r, by_name.get(r.topic))}
            )
            for r in rows
        ]
        if rows:
            audit.record(
                s,
                principal,
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

    return engine.db.transaction(work)


def _check_fetch(body: FetchAndLock, max_fetch: int, max_lock_ms: int) -> None:
    problems = []
    if body.max_tasks > max_fetch:
        problems.append({"field": "max_tasks", "message": f"at most {max_fetch}"})
    for i, topic in enumerate(body.topics):
        if topic.lock_duration_ms > max_lock_ms:
            message = f"at most {max_lock_ms} ms"
            problems.append({"field": f"topics.{i}.lock_duration_ms", "message": message})
    if len({t.name for t in body.topics}) != len(body.topics):
        problems.append({"field": "topics", "message": "a topic is named twice"})
    if problems:
        raise InvalidData("the fetch is invalid", errors=problems)


@router.post("/{task_id}/complete", response_model=ExternalTaskResult)
def complete(
    task_id: uuid.UUID, body: Complete, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Complete a task you hold, with `variables` merged into the process (409 if you do not
    hold it); the process runs on until it waits."""

    def work(s: Session) -> tuple[service.Outcome, ExternalTaskResult | None]:
        outcome, row = external_tasks.complete(
            engine,
            s,
            task_id=task_id,
            worker_id=body.worker_id,
            variables=body.variables,
            actor=principal.sub,
        )
        result = None
        if outcome.failure is None and outcome.loaded is not None:
            result = ExternalTaskResult(
                id=task_id,
                process_instance_id=row.instance_id,
                outcome="completed",
                instance_status=outcome.loaded.row.status,
            )
        audit.record_change(
            s,
            principal,
            "external_task.complete",
            row,
            object_type="external_task",
            data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
            unit_code=row.unit_code,
        )
        return outcome, result

    return stepped(engine, work)


@router.post("/{task_id}/failure", response_model=ExternalTaskResult)
def failure(
    task_id: uuid.UUID, body: Failure, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Report that the work failed: with `retries` left the task is fetchable again after
    `retry_timeout_ms`; at 0 an incident is raised on the instance."""

    def work(s: Session) -> ExternalTaskResult:
        row = external_tasks.failure(
            s,
            task_id=task_id,
            worker_id=body.worker_id,
            error_message=body.error_message,
            error_details=body.error_details,
            retries=body.retries,
            retry_timeout_ms=body.retry_timeout_ms,
            actor=principal.sub,
            lock_row=not engine.db.is_sqlite,
        )
        audit.record_change(
            s,
            principal,
            "external_task.failure",
            row,
            object_type="external_task",
            data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
            unit_code=row.unit_code,
        )
        return ExternalTaskResult(
            id=task_id,
            process_instance_id=row.instance_id,
            outcome="incident" if row.incident_id else "failed",
            retries=row.retries,
            lock_expires_at=row.lock_expires_at,
            incident_id=row.incident_id,
        )

    return engine.db.transaction(work)


@router.post("/{task_id}/bpmn-error", response_model=ExternalTaskResult)
def bpmn_error(
    task_id: uuid.UUID, body: BpmnError, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Throw a business error: an error boundary event catching `error_code` (on the task or an
    enclosing subprocess) takes the process down its path; uncaught, an incident is raised."""

    def work(s: Session) -> tuple[service.Outcome, ExternalTaskResult | None]:
        outcome, row = external_tasks.bpmn_error(
            engine,
            s,
            task_id=task_id,
            worker_id=body.worker_id,
            error_code=body.error_code,
            error_message=body.error_message,
            variables=body.variables,
            actor=principal.sub,
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
        audit.record_change(
            s,
            principal,
            "external_task.bpmn_error",
            row,
            object_type="external_task",
            data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
            unit_code=row.unit_code,
        )
        return outcome, result

    return stepped(engine, work)


@router.post("/{task_id}/extend-lock", response_model=ExternalTaskResult)
def extend_lock(
    task_id: uuid.UUID, body: ExtendLock, request: Request, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Keep a task you hold for `new_duration_ms` from now (long work)."""
    max_lock_ms = request.app.state.settings.external_task_max_lock_ms
    if body.new_duration_ms > max_lock_ms:
        raise InvalidData(
            "the lock is too long",
            errors=[{"field": "new_duration_ms", "message": f"at most {max_lock_ms} ms"}],
        )

    def work(s: Session) -> ExternalTaskResult:
        row = external_tasks.extend_lock(
            s,
            task_id=task_id,
            worker_id=body.worker_id,
            new_duration_ms=body.new_duration_ms,
            lock_row=not engine.db.is_sqlite,
        )
        audit.record_change(
            s,
            principal,
            "external_task.extend_lock",
            row,
            object_type="external_task",
            data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
            unit_code=row.unit_code,
        )
        return ExternalTaskResult(
            id=task_id,
            process_instance_id=row.instance_id,
            outcome="lock_extended",
            lock_expires_at=row.lock_expires_at,
        )

    return engine.db.transaction(work)


@router.post("/{task_id}/retries", response_model=ExternalTaskResult)
def set_retries(
    task_id: uuid.UUID,
    body: SetRetries,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("incidents.resolve"))],
) -> ExternalTaskResult:
    """Give a task retries again (an operator controlling its instance): fetchable at once;
    its incident is resolved and the instance runs again when no other incident is open."""

    def work(s: Session) -> ExternalTaskResult:
        found = queries.readable_task(s, principal, task_id)
        access.instance_to_control(s, principal, found.instance_id, "incidents.resolve")
        row = external_tasks.set_retries(
            s,
            task_id=task_id,
            retries=body.retries,
            actor=principal.sub,
            lock_row=not engine.db.is_sqlite,
        )
        instance = s.get(ProcessInstance, row.instance_id)
        audit.record_change(
            s,
            principal,
            "external_task.set_retries",
            row,
            object_type="external_task",
            data={**body.model_dump(), "topic": row.topic, "element_id": row.element_id},
            unit_code=row.unit_code,
        )
        return ExternalTaskResult(
            id=task_id,
            process_instance_id=row.instance_id,
            outcome="retries_set",
            retries=row.retries,
            instance_status=instance.status if instance else None,
        )

    return engine.db.transaction(work)


@router.get("", response_model=Page[ExternalTaskOut])
def list_external_tasks(
    engine: EngineDep,
    principal: Reader,
    topic: Text | None = None,
    locked: bool | None = None,
    with_incident: bool | None = None,
    process_instance_id: uuid.UUID | None = None,
    worker_id: Text | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ExternalTaskOut]:
    """External tasks waiting or locked, oldest first: workers see all; offices those of
    instances in their scope."""
    with engine.db.session() as s:
        query = queries.readable(s, principal)
        if topic:
            query = query.where(ExternalTask.topic == topic)
        if locked is not None:
            query = query.where(external_tasks.locked_clause(locked))
        if with_incident is not None:
            has = ExternalTask.incident_id.is_not(None)
            query = query.where(has if with_incident else ~has)
        if process_instance_id:
            query = query.where(ExternalTask.instance_id == process_instance_id)
        if worker_id:
            query = query.where(ExternalTask.worker_id == worker_id)
        result: Page[ExternalTaskOut] = page(
            s, query, ExternalTask.created_at, ExternalTaskOut, limit, offset
        )
        return result


@router.get("/{task_id}", response_model=ExternalTaskDetail)
def get_external_task(
    task_id: uuid.UUID, engine: EngineDep, principal: Reader
) -> ExternalTaskDetail:
    """One external task, with its last error's details."""
    with engine.db.session() as s:
        return ExternalTaskDetail.model_validate(queries.readable_task(s, principal, task_id))
