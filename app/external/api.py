"""REST routes of external tasks (外部任务): workers fetch, lock and finish BPMN service tasks;
operators list them and resolve their incidents.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.engine import EngineDep, ExternalTask, ExternalTopic, SessionDep, run, run_step
from app.external import queries, use_cases
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
from app.identity.policy import Forbidden, allowed, current_principal, permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.errors import InvalidData
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/external-tasks", tags=["external tasks"], responses=ERRORS)
Worker = Annotated[Principal, Depends(permission("external_tasks.work"))]
Resolver = Annotated[Principal, Depends(permission("incidents.resolve"))]
routers: list[Router] = [router]


async def _reader(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Workers (every topic), and the offices and admins who resolve incidents (in scope)."""
    if not (allowed(principal, "external_tasks.work") or allowed(principal, "incidents.resolve")):
        raise Forbidden(
            "your roles do not allow reading external tasks", action="external_tasks.read"
        )
    return principal


Reader = Annotated[Principal, Depends(_reader)]


def readable_task(task_id: uuid.UUID, s: SessionDep, principal: Reader) -> ExternalTask:
    """The external task of the path, if the caller may read it; 404 otherwise."""
    return queries.readable_task(s, principal, task_id)


ReadableTask = Annotated[ExternalTask, Depends(readable_task)]


@router.post("/fetch-and-lock", response_model=list[ExternalTaskOut])
def fetch_and_lock(
    body: FetchAndLock, request: Request, engine: EngineDep, principal: Worker
) -> list[ExternalTaskOut]:
    """Lock up to `max_tasks` tasks of the topics for `worker_id`; an empty list when none wait.

    Workers see every topic they ask for. Two workers never hold the same task."""
    settings = request.app.state.settings
    _check_fetch(body, settings.external_task_max_fetch, settings.external_task_max_lock_ms)
    topics = [ExternalTopic(t.name, t.lock_duration_ms, t.variables) for t in body.topics]
    return run(
        engine, use_cases.fetch_and_lock, engine=engine, actor=principal, body=body, topics=topics
    )


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
    return run_step(
        engine, use_cases.complete, engine=engine, actor=principal, task_id=task_id, body=body
    )


@router.post("/{task_id}/failure", response_model=ExternalTaskResult)
def failure(
    task_id: uuid.UUID, body: Failure, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Report that the work failed: with `retries` left the task is fetchable again after
    `retry_timeout_ms`; at 0 an incident is raised on the instance."""
    return run(
        engine, use_cases.failure, engine=engine, actor=principal, task_id=task_id, body=body
    )


@router.post("/{task_id}/bpmn-error", response_model=ExternalTaskResult)
def bpmn_error(
    task_id: uuid.UUID, body: BpmnError, engine: EngineDep, principal: Worker
) -> ExternalTaskResult:
    """Throw a business error: an error boundary event catching `error_code` (on the task or an
    enclosing subprocess) takes the process down its path; uncaught, an incident is raised."""
    return run_step(
        engine, use_cases.bpmn_error, engine=engine, actor=principal, task_id=task_id, body=body
    )


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
    return run(
        engine, use_cases.extend_lock, engine=engine, actor=principal, task_id=task_id, body=body
    )


@router.post("/{task_id}/retries", response_model=ExternalTaskResult)
def set_retries(
    task_id: uuid.UUID, body: SetRetries, engine: EngineDep, principal: Resolver
) -> ExternalTaskResult:
    """Give a task retries again (an operator controlling its instance): fetchable at once;
    its incident is resolved and the instance runs again when no other incident is open."""
    return run(
        engine, use_cases.set_retries, engine=engine, actor=principal, task_id=task_id, body=body
    )


@router.get("", response_model=Page[ExternalTaskOut])
def list_external_tasks(
    s: SessionDep,
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
    query = queries.filtered(
        s,
        principal,
        topic=topic,
        locked=locked,
        with_incident=with_incident,
        process_instance_id=process_instance_id,
        worker_id=worker_id,
    )
    result: Page[ExternalTaskOut] = page(
        s, query, ExternalTask.created_at, ExternalTaskOut, limit, offset
    )
    return result


@router.get("/{task_id}", response_model=ExternalTaskDetail)
def get_external_task(task: ReadableTask) -> ExternalTaskDetail:
    """One external task, with its last error's details."""
    return ExternalTaskDetail.model_validate(task)
