"""Routes: the task projection — inbox, claim, re-assign, complete — within the caller's scope.

Routes validate, take their dependencies, call one use case (`use_cases.py`) or read
(`reads.py`) and return a schema."""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from app.deps import SessionDep, read
from app.engine.api import access, queries, reads, use_cases
from app.engine.api.deps import EngineDep, model_response, run, run_step
from app.engine.persist.models import TaskRecord
from app.engine.schemas import AssignTask, CompleteTask, InstanceDetail, TaskDetail, TaskOut
from app.identity.policy import current_principal, permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Instant, Limit, Offset, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/tasks", tags=["tasks"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("tasks.read"))]
Worker = Annotated[Principal, Depends(permission("tasks.work"))]


def readable_task(task_id: uuid.UUID, s: SessionDep, principal: Reader) -> TaskRecord:
    """The task of the path, if its unit is in the caller's scope; 404 otherwise."""
    return access.task(s, principal, task_id)


ReadableTask = Annotated[TaskRecord, Depends(readable_task)]


@router.get("", response_model=Page[TaskOut])
def list_tasks(
    engine: EngineDep,
    principal: Reader,
    state: Literal["ready", "completed", "cancelled"] | None = "ready",
    mine: Annotated[bool, Query(description="only tasks you may work on")] = False,
    assignee: Text | None = None,
    candidate_group: Text | None = None,
    unit: Text | None = None,
    process_instance_id: uuid.UUID | None = None,
    process_key: Text | None = None,
    element_id: Text | None = None,
    due_before: Instant | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Response:
    """Tasks of units in your scope, oldest first; `mine=true` is your inbox (我的待办)."""
    filters = queries.TaskFilters(
        state=state,
        assignee=assignee,
        unit=unit,
        instance_id=process_instance_id,
        process_key=process_key,
        element_id=element_id,
        due_before=due_before,
        mine=mine,
    )
    found = read(
        engine.db,
        lambda s: reads.task_page(
            s,
            principal,
            filters,
            engine=engine,
            candidate_group=candidate_group,
            limit=limit,
            offset=offset,
            cursor=cursor,
        ),
    )
    return model_response(found)  # serialized once: no second validation in another thread


@router.get("/{task_id}", response_model=TaskDetail)
def get_task(task: ReadableTask, engine: EngineDep, s: SessionDep) -> TaskDetail:
    """A task with its input data and its form's JSON Schema."""
    return reads.task_detail(s, task, engine=engine)


@router.post("/{task_id}/claim", response_model=TaskOut)
def claim_task(task_id: uuid.UUID, engine: EngineDep, principal: Worker) -> TaskOut:
    """Take a ready task of your unit and role; 409 if someone else holds it."""
    return run(engine, use_cases.claim_task, actor=principal, task_id=task_id)


@router.post("/{task_id}/unclaim", response_model=TaskOut)
def unclaim_task(
    task_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(current_principal)],
) -> TaskOut:
    """Give a task back: its assignee, or the office."""
    return run(engine, use_cases.unclaim_task, actor=principal, task_id=task_id)


@router.post("/{task_id}/assign", response_model=TaskOut)
def assign_task(
    task_id: uuid.UUID,
    body: AssignTask,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("tasks.assign"))],
) -> TaskOut:
    """The office controlling the instance re-assigns a task: to a person, and/or to another
    unit in its scope."""
    return run(engine, use_cases.assign_task, actor=principal, task_id=task_id, body=body)


@router.post("/{task_id}/complete", response_model=InstanceDetail)
def complete_task(
    task_id: uuid.UUID, body: CompleteTask, engine: EngineDep, principal: Worker
) -> Response:
    """Complete a ready task of your unit and role; answers with the instance after the step."""
    detail = run_step(
        engine,
        use_cases.complete_task,
        engine=engine,
        actor=principal,
        task_id=task_id,
        body=body,
    )
    return model_response(detail)
