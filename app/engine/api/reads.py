"""The engine's reads as its routes answer them: a page of the task list (the inbox), one task
with its form, an instance's history, variables. Access is checked before (`queries`,
`access`)."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.api import queries
from app.engine.persist.models import HistoryEvent, ProcessInstance, TaskRecord
from app.engine.runtime import names, variables
from app.engine.runtime.engine import Engine
from app.engine.schemas import HistoryOut, TaskDetail, TaskOut, VariablesOut
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.paging import page_rows
from app.kit.shared import Page


def task_page(
    s: Session,
    principal: Principal,
    filters: queries.TaskFilters,
    *,
    engine: Engine,
    candidate_group: str | None,
    limit: int,
    offset: int,
    cursor: str | None = None,
) -> Page[TaskOut]:
    """A page of the readable tasks that pass `filters`, oldest first, each lit; `candidate_group`
    and `mine` (the caller's roles) are matched in SQL, so the page is the database's LIMIT. Each
    row comes with its instance's definition (for the names): one query, not two. The statement
    is kept per shape of the filters (`queries.task_list`): the inbox is read far more often than
    anything else."""
    template, values = queries.task_list(
        s,
        principal,
        filters,
        workable=filters.mine,
        candidate_group=candidate_group,
        with_definition=True,
    )
    found = page_rows(s, template, TaskRecord.created_at, limit, offset, cursor, params=values)
    items = [TaskOut.model_validate(task) for task, _ in found.rows]
    names.name_tasks(s, items, {task.instance_id: d for task, d in found.rows})
    return _lit(engine, found.page(items, limit, offset))


def _lit(engine: Engine, tasks: Page[TaskOut]) -> Page[TaskOut]:
    """Each open task's light by the domain's rule (domain.md §7), at this moment."""
    now = clock.now()
    for task in tasks.items:
        task.light = engine.mark_due(task.state, task.due_at, now)
    return tasks


def task_detail(s: Session, record: TaskRecord, *, engine: Engine) -> TaskDetail:
    """A task with its light, its input data and its form's JSON Schema."""
    detail = TaskDetail.model_validate(record)
    detail.light = engine.mark_due(detail.state, detail.due_at, clock.now())
    instance = s.get(ProcessInstance, record.instance_id)
    if instance is not None:
        names.name_tasks(s, [detail], {instance.id: instance.definition_id})
        if record.form:
            cached = engine.specs.get(s, instance.definition_id, instance.bindings)
            detail.form_schema = cached.forms.get(record.form)
    return detail


def history(s: Session, instance_id: uuid.UUID) -> list[HistoryOut]:
    """Every recorded change of an instance, oldest first; each row named by its element's
    display names (the process's for a row of the instance itself)."""
    rows = s.scalars(
        select(HistoryEvent)
        .where(HistoryEvent.instance_id == instance_id)
        .order_by(HistoryEvent.id)
    )
    out = [HistoryOut.model_validate(r) for r in rows]
    instance = s.get(ProcessInstance, instance_id)
    if instance is None:
        return out
    by_element = names.element_names(s, [instance.definition_id]).get(instance.definition_id, {})
    process = by_element.get(instance.process_key)
    for row in out:
        row.element_names = by_element.get(row.element_id or "") or (
            process if row.element_id is None else None
        )
    return out


def instance_variables(row: ProcessInstance) -> VariablesOut:
    """An instance's variables (as its detail shows them) with their JSON types."""
    return VariablesOut.model_validate(
        {"variables": row.variables, "types": variables.json_types(row.variables)}
    )


def task_variables(s: Session, record: TaskRecord, *, engine: Engine) -> VariablesOut:
    """A ready task's data as the engine holds it, with JSON types (409 when not ready)."""
    data = variables.task_data(engine, s, record.id)
    return VariablesOut.model_validate({"variables": data, "types": variables.json_types(data)})
