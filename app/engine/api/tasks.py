"""Routes: the task projection — inbox, claim, re-assign, complete — within the caller's scope."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from app.engine.api import access, queries
from app.engine.api.deps import EngineDep, model_response, stepped
from app.engine.persist.models import ProcessInstance, TaskRecord
from app.engine.runtime import service
from app.engine.runtime.engine import Engine
from app.engine.schemas import AssignTask, CompleteTask, InstanceDetail, TaskDetail, TaskOut
from app.identity import audit
from app.identity.policy import current_principal, permission
from app.identity.principal import Principal
from app.kit.bounds import Instant, Limit, Offset, Text
from app.kit.clock import clock
from app.kit.paging import page
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("tasks.read"))]
Worker = Annotated[Principal, Depends(permission("tasks.work"))]


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
) -> Page[TaskOut]:
    """Tasks of units in your scope, oldest first; `mine=true` is your inbox (我的待办)."""
    with engine.db.session() as s:
        query = queries.readable_tasks(s, principal)
        filters = {
            TaskRecord.state: state,
            TaskRecord.assignee: assignee,
            TaskRecord.unit_code: unit,
            TaskRecord.instance_id: process_instance_id,
            TaskRecord.process_key: process_key,
            TaskRecord.element_id: element_id,
        }
        for column, value in filters.items():
            if value is not None:
                query = query.where(column == value)
        if due_before:
            query = query.where(TaskRecord.due_at < due_before)
        if mine:
            query = query.where(TaskRecord.unit_code == principal.unit)
        if not (candidate_group or mine):
            return _lit(engine, page(s, query, TaskRecord.created_at, TaskOut, limit, offset))
        # Candidate roles are a JSON list: narrowed by the indexed filters above, matched here.
        rows = [
            r
            for r in s.scalars(query.order_by(TaskRecord.created_at))
            if (not candidate_group or candidate_group in r.candidate_groups)
            and (not mine or access.workable(principal, r))
        ]
        items = [TaskOut.model_validate(r) for r in rows[offset : offset + limit]]
        return _lit(engine, Page(items=items, total=len(rows), limit=limit, offset=offset))


def _lit(engine: Engine, tasks: Page[TaskOut]) -> Page[TaskOut]:
    """Each open task's light by the domain's rule (domain.md §7), at this moment."""
    now = clock.now()
    for task in tasks.items:
        task.light = engine.mark_due(task.state, task.due_at, now)
    return tasks


@router.get("/{task_id}", response_model=TaskDetail)
def get_task(task_id: uuid.UUID, engine: EngineDep, principal: Reader) -> TaskDetail:
    """A task with its input data and its form's JSON Schema."""
    with engine.db.session() as s:
        record = access.task(s, principal, task_id)
        detail = TaskDetail.model_validate(record)
        detail.light = engine.mark_due(detail.state, detail.due_at, clock.now())
        if record.form:
            instance = s.get(ProcessInstance, record.instance_id)
            if instance is not None:
                cached = engine.specs.get(s, instance.definition_id)
                detail.form_schema = cached.forms.get(record.form)
        return detail


@router.post("/{task_id}/claim", response_model=TaskOut)
def claim_task(task_id: uuid.UUID, engine: EngineDep, principal: Worker) -> TaskOut:
    """Take a ready task of your unit and role; 409 if someone else holds it."""

    def work(s: Session) -> TaskOut:
        access.task_to_work(s, principal, task_id)
        record = service.claim(s, task_id=task_id, actor=principal.sub)
        audit.record_change(
            s,
            principal,
            "task.claim",
            record,
            object_type="task",
            data={"element_id": record.element_id},
            unit_code=record.unit_code,
        )
        return TaskOut.model_validate(record)

    return engine.db.transaction(work)


@router.post("/{task_id}/unclaim", response_model=TaskOut)
def unclaim_task(
    task_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(current_principal)],
) -> TaskOut:
    """Give a task back: its assignee, or the office."""

    def work(s: Session) -> TaskOut:
        access.task_to_release(s, principal, task_id)
        record = service.assign(s, task_id=task_id, assignee=None, actor=principal.sub)
        audit.record_change(
            s,
            principal,
            "task.unclaim",
            record,
            object_type="task",
            data={"element_id": record.element_id},
            unit_code=record.unit_code,
        )
        return TaskOut.model_validate(record)

    return engine.db.transaction(work)


@router.post("/{task_id}/assign", response_model=TaskOut)
def assign_task(
    task_id: uuid.UUID,
    body: AssignTask,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("tasks.assign"))],
) -> TaskOut:
    """The office controlling the instance re-assigns a task: to a person, and/or to another
    unit in its scope."""

    def work(s: Session) -> TaskOut:
        access.task_to_assign(s, principal, task_id)
        if body.unit is not None:
            access.unit_in_scope(s, principal, body.unit, "unit")
        record = service.assign(
            s, task_id=task_id, assignee=body.assignee, unit=body.unit, actor=principal.sub
        )
        audit.record_change(
            s,
            principal,
            "task.assign",
            record,
            object_type="task",
            data=body.model_dump(),
            unit_code=record.unit_code,
        )
        return TaskOut.model_validate(record)

    return engine.db.transaction(work)


@router.post("/{task_id}/complete", response_model=InstanceDetail)
def complete_task(
    task_id: uuid.UUID, body: CompleteTask, engine: EngineDep, principal: Worker
) -> Response:
    """Complete a ready task of your unit and role; answers with the instance after the step."""

    def work(s: Session) -> tuple[service.Outcome, InstanceDetail | None]:
        record = access.task_to_work(s, principal, task_id)
        element_id, instance_id, unit_code = record.element_id, record.instance_id, record.unit_code
        outcome = service.complete(
            engine, s, task_id=task_id, variables=body.variables, actor=principal.sub
        )
        detail = None if outcome.failure else service.step_detail(s, outcome)
        # Last: the audit chain's lock is then held only until the commit.
        audit.record(
            s,
            principal,
            "task.complete",
            object_type="task",
            object_id=str(task_id),
            instance_id=str(instance_id),
            unit_code=unit_code,
            data={
                "element_id": element_id,
                "variables": body.variables,
                "failed": outcome.failure is not None,
            },
        )
        return outcome, detail

    return model_response(stepped(engine, work))
