"""Who may read which engine rows (instances, tasks, jobs, incidents): the readable statements the
engine's routes, the external-task list and message delivery start from. The rules come from
`app.identity.policy` (scope); this module only maps them onto the engine's tables, next to
`app.engine.api.access` (which adds the acts: work, control). The engine core never imports it."""

import functools
import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session, contains_eager

from app.engine.persist.models import Incident, InstanceUnit, Job, ProcessInstance, TaskRecord
from app.identity import readable as base
from app.identity.policy import Scope, allowed
from app.identity.principal import Principal


def readable_instance_ids(scope: Scope) -> Select[Any]:
    """Ids of the instances that involve a unit in scope (owner, or a unit a task is for)."""
    return select(InstanceUnit.instance_id).where(scope.clause(InstanceUnit.unit_code))


def instances_clause(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on ProcessInstance: it involves a unit in scope."""
    return base.linked(scope, ProcessInstance.id, InstanceUnit.instance_id, InstanceUnit.unit_code)


def readable_instances(session: Session, who: base.Who) -> Select[ProcessInstance]:
    """The process instances `who` may read."""
    return select(ProcessInstance).where(instances_clause(base.scope(session, who)))


def readable_instance(session: Session, who: base.Who, instance_id: uuid.UUID) -> ProcessInstance:
    """One process instance `who` may read, or 404 (its existence is not revealed)."""
    statement = readable_instances(session, who).where(ProcessInstance.id == instance_id)
    return base.one(session, statement, "process instance", instance_id)


def filtered_instances(
    session: Session,
    who: base.Who,
    *,
    process_key: str | None,
    status: str | None,
    business_key: str | None,
    unit: str | None,
) -> Select[ProcessInstance]:
    """The readable instances that pass the list's filters."""
    query = readable_instances(session, who)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if status:
        query = query.where(ProcessInstance.status == status)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    if unit:
        query = query.where(ProcessInstance.unit_code == unit)
    return query


def tasks_clause(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on TaskRecord: the task's unit is in scope."""
    return scope.clause(TaskRecord.unit_code)


def readable_tasks(session: Session, who: base.Who) -> Select[TaskRecord]:
    """The tasks `who` may read. One task (`access.task`) applies the same rule in memory
    (`Scope.contains` on the cached unit tree) to the row it loads with its instance."""
    return select(TaskRecord).where(tasks_clause(base.scope(session, who)))


@dataclass(frozen=True)
class TaskFilters:
    """The task list's indexed filters (`GET /tasks`); `None` (or False) is not filtered on."""

    state: str | None = "ready"
    assignee: str | None = None
    unit: str | None = None
    instance_id: uuid.UUID | None = None
    process_key: str | None = None
    element_id: str | None = None
    due_before: datetime | None = None
    mine: bool = False


# Each filter: its column and its comparison; its value is sent as a parameter `task_<name>`.
_TASK_FILTERS: dict[str, tuple[Any, Callable[[Any, Any], ColumnElement[bool]]]] = {
    "assignee": (TaskRecord.assignee, operator.eq),
    "unit": (TaskRecord.unit_code, operator.eq),
    "instance_id": (TaskRecord.instance_id, operator.eq),
    "process_key": (TaskRecord.process_key, operator.eq),
    "element_id": (TaskRecord.element_id, operator.eq),
    "due_before": (TaskRecord.due_at, operator.lt),
    "mine": (TaskRecord.unit_code, operator.eq),
}

_PARAMETER = object()  # a filter of a kept statement: its value comes with each execution


def filtered_tasks(
    session: Session,
    principal: Principal,
    *,
    state: str | None,
    assignee: str | None,
    unit: str | None,
    instance_id: uuid.UUID | None,
    process_key: str | None,
    element_id: str | None,
    due_before: datetime | None,
    mine: bool,
) -> Select[TaskRecord]:
    """The readable tasks that pass the list's indexed filters, as a statement with its values;
    `mine` keeps the caller's unit (their roles are matched on the rows: `access.workable`)."""
    filters = TaskFilters(
        state, assignee, unit, instance_id, process_key, element_id, due_before, mine
    )
    given = _given(principal, filters)
    return _task_statement(base.scope(session, principal), state, given, None, None, False)


def task_list(
    session: Session,
    principal: Principal,
    filters: TaskFilters,
    *,
    workable: bool = False,
    candidate_group: str | None = None,
    with_definition: bool = False,
) -> tuple[Select[Any], dict[str, Any]]:
    """The readable tasks that pass `filters`, as a statement kept per shape and its parameters'
    values (`page_rows(..., params=)`); `workable`: only those the caller's roles may work on;
    `candidate_group`: offered to that role; `with_definition`: each row with its instance's
    definition id (for the names)."""
    values = _given(principal, filters)
    roles = (allowed(principal, "tasks.work"), principal.roles) if workable else None
    template = _task_template(
        base.scope(session, principal),
        filters.state,
        frozenset(values),
        roles,
        candidate_group,
        with_definition,
    )
    return template, {f"task_{name}": value for name, value in values.items()}


def _given(principal: Principal, filters: TaskFilters) -> dict[str, Any]:
    """The filters given, by name, with their values (`mine`: the caller's unit)."""
    values = {
        "assignee": filters.assignee,
        "unit": filters.unit,
        "instance_id": filters.instance_id,
        "process_key": filters.process_key,
        "element_id": filters.element_id,
        "due_before": filters.due_before,
        "mine": principal.unit if filters.mine else None,
    }
    return {name: value for name, value in values.items() if value is not None}


@functools.lru_cache(maxsize=512)
def _task_template(
    scope: Scope,
    state: str | None,
    given: frozenset[str],
    roles: tuple[bool, frozenset[str]] | None,
    candidate_group: str | None,
    with_definition: bool,
) -> Select[Any]:
    """The statement of one shape of the task list, built once: its filters' values are
    parameters, sent with each execution."""
    parameters = dict.fromkeys(given, _PARAMETER)
    return _task_statement(scope, state, parameters, roles, candidate_group, with_definition)


def _task_statement(
    scope: Scope,
    state: str | None,
    given: dict[str, Any],
    roles: tuple[bool, frozenset[str]] | None,
    candidate_group: str | None,
    with_definition: bool,
) -> Select[Any]:
    """The task list's statement (the one place its rules are written): the readable tasks in
    `state` that pass the `given` filters (each with its value, or `_PARAMETER`)."""
    query = select(TaskRecord).where(tasks_clause(scope))
    if state is not None:
        # A literal, not a parameter: the open-task indexes are partial (`state = 'ready'`), and
        # a prepared statement's generic plan cannot prove a parameter's value.
        query = query.where(TaskRecord.state == bindparam("state", state, literal_execute=True))
    for name, (column, compare) in _TASK_FILTERS.items():
        if name in given:
            value = given[name]
            key = f"task_{name}"
            parameter: Any = bindparam(key) if value is _PARAMETER else bindparam(key, value)
            query = query.where(compare(column, parameter))
    if roles is not None:
        query = query.where(_workable(*roles))
    if candidate_group:
        query = query.where(in_candidate_group(candidate_group))
    if with_definition:
        definition = (
            select(ProcessInstance.definition_id)
            .where(ProcessInstance.id == TaskRecord.instance_id)
            .scalar_subquery()
        )
        query = query.add_columns(definition)
    return query


def jobs_clause(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on Job: its instance is readable."""
    return base.linked(scope, Job.instance_id, InstanceUnit.instance_id, InstanceUnit.unit_code)


def readable_jobs(session: Session, who: base.Who) -> Select[Job]:
    """The jobs (timers) `who` may read."""
    return select(Job).where(jobs_clause(base.scope(session, who)))


def readable_job(session: Session, who: base.Who, job_id: uuid.UUID) -> Job:
    """One job `who` may read, or 404."""
    statement = readable_jobs(session, who).where(Job.id == job_id)
    return base.one(session, statement, "job", job_id)


def filtered_jobs(
    session: Session,
    who: base.Who,
    *,
    due_before: datetime | None,
    instance_id: uuid.UUID | None,
    status: str | None,
) -> Select[Job]:
    """The readable jobs that pass the list's filters."""
    query = readable_jobs(session, who)
    if due_before:
        query = query.where(Job.due_at < due_before)
    if instance_id:
        query = query.where(Job.instance_id == instance_id)
    if status:
        query = query.where(Job.status == status)
    return query


def readable_incidents(session: Session, who: base.Who) -> Select[Incident]:
    """The incidents of instances `who` may read, each loaded with its instance."""
    return (
        select(Incident)
        .join(Incident.instance)
        .options(contains_eager(Incident.instance))
        .where(instances_clause(base.scope(session, who)))
    )


def readable_incident(session: Session, who: base.Who, incident_id: uuid.UUID) -> Incident:
    """One incident `who` may read (with its instance), or 404."""
    statement = readable_incidents(session, who).where(Incident.id == incident_id)
    return base.one(session, statement, "incident", incident_id)


def filtered_incidents(
    session: Session,
    who: base.Who,
    *,
    process_key: str | None,
    element_id: str | None,
    unit: str | None,
    kind: str | None,
    state: str | None,
    since: datetime | None,
    instance_id: uuid.UUID | None,
) -> Select[Incident]:
    """The readable incidents that pass the list's filters; `unit` is the instance's owner or
    a unit it involves."""
    query = readable_incidents(session, who)
    filters = {
        Incident.process_key: process_key,
        Incident.element_id: element_id,
        Incident.kind: kind,
        Incident.instance_id: instance_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if state == "open":
        query = query.where(Incident.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(Incident.resolved_at.is_not(None))
    if since is not None:
        query = query.where(Incident.created_at >= since)
    if unit:
        involved = exists().where(
            InstanceUnit.instance_id == Incident.instance_id, InstanceUnit.unit_code == unit
        )
        query = query.where(involved)
    return query


def workable_clause(principal: Principal) -> ColumnElement[bool]:
    """`policy.can_work` on the rows' candidate roles, in SQL so that a page is a LIMIT: the roles
    are a short JSON list of plain names, matched as `"role"` in its text on both backends."""
    return _workable(allowed(principal, "tasks.work"), principal.roles)


def _workable(may_work: bool, roles: frozenset[str]) -> ColumnElement[bool]:
    if not may_work:
        return false()
    groups = cast(TaskRecord.candidate_groups, String)
    open_to_all = or_(TaskRecord.candidate_groups.is_(None), groups.in_(["[]", "null"]))
    return or_(open_to_all, *(groups.contains(f'"{r}"', autoescape=True) for r in sorted(roles)))


def in_candidate_group(group: str) -> ColumnElement[bool]:
    """The task is offered to `group` (one of its candidate roles), in SQL as `workable_clause`."""
    return cast(TaskRecord.candidate_groups, String).contains(f'"{group}"', autoescape=True)
