"""Who may read which engine rows (instances, tasks, jobs): the readable statements the
engine's routes, the external-task list and message delivery start from. The rules come from
`app.identity.policy` (scope); this module only maps them onto the engine's tables, next to
`app.engine.api.access` (which adds the acts: work, control). The engine core never imports it."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.engine.persist.models import InstanceUnit, Job, ProcessInstance, TaskRecord
from app.identity import readable as base
from app.identity.policy import Scope


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


def tasks_clause(scope: Scope) -> ColumnElement[bool]:
    """SQL condition on TaskRecord: the task's unit is in scope."""
    return scope.clause(TaskRecord.unit_code)


def readable_tasks(session: Session, who: base.Who) -> Select[TaskRecord]:
    """The tasks `who` may read. One task (`access.task`) applies the same rule in memory
    (`Scope.contains` on the cached unit tree) to the row it loads with its instance."""
    return select(TaskRecord).where(tasks_clause(base.scope(session, who)))


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
