"""Who may read which engine rows (instances, tasks, jobs, incidents): the readable statements the
engine's routes, the external-task list and message delivery start from. The rules come from
`app.identity.policy` (scope); this module only maps them onto the engine's tables, next to
`app.engine.api.access` (which adds the acts: work, control). The engine core never imports it."""

import uuid
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
    """The readable tasks that pass the list's indexed filters; `mine` keeps the caller's unit
    (their roles are matched on the rows: `access.workable`)."""
    query = readable_tasks(session, principal)
    if state is not None:
        # A literal, not a parameter: the open-task indexes are partial (`state = 'ready'`), and
        # a prepared statement's generic plan cannot prove a parameter's value.
        query = query.where(TaskRecord.state == bindparam("state", state, literal_execute=True))
    filters = {
        TaskRecord.assignee: assignee,
        TaskRecord.unit_code: unit,
        TaskRecord.instance_id: instance_id,
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
    if not allowed(principal, "tasks.work"):
        return false()
    groups = cast(TaskRecord.candidate_groups, String)
    open_to_all = or_(TaskRecord.candidate_groups.is_(None), groups.in_(["[]", "null"]))
    return or_(open_to_all, *(groups.contains(f'"{r}"', autoescape=True) for r in principal.roles))


def in_candidate_group(group: str) -> ColumnElement[bool]:
    """The task is offered to `group` (one of its candidate roles), in SQL as `workable_clause`."""
    return cast(TaskRecord.candidate_groups, String).contains(f'"{group}"', autoescape=True)
