"""The identity policy applied to engine objects: which instances, tasks and jobs a caller sees
and may act on. Rules come from `app.identity.policy`; this module only maps them onto tables."""

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.engine.api import queries
from app.engine.persist.models import Incident, Job, ProcessInstance, TaskRecord
from app.engine.runtime import service
from app.identity.policy import (
    Forbidden,
    allowed,
    can_work,
    controlled_clause,
    require,
    require_control,
    scope_of,
)
from app.identity.principal import Principal
from app.kit.errors import NotFound


def instance(session: Session, principal: Principal, instance_id: uuid.UUID) -> ProcessInstance:
    """The instance if the caller may see it; 404 otherwise (its existence is not revealed)."""
    return queries.readable_instance(session, principal, instance_id)


def instance_to_control(
    session: Session, principal: Principal, instance_id: uuid.UUID, action: str
) -> ProcessInstance:
    """The instance if the caller controls it (policy.controls: its owner unit, the offices
    above, admins); 404 when they may not even see it, 403 when they only see it."""
    row = instance(session, principal, instance_id)
    require_control(
        session,
        principal,
        action,
        object_type="process instance",
        object_id=instance_id,
        owner_unit=row.unit_code,
    )
    return row


def controlled_instance_ids(session: Session, principal: Principal) -> Select[Any] | None:
    """Ids of the instances the caller controls (None: every instance, for admins)."""
    if scope_of(session, principal).everything:
        return None
    return select(ProcessInstance.id).where(
        controlled_clause(session, principal, ProcessInstance.unit_code)
    )


def task(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskRecord:
    """The task if its unit is in the caller's scope; 404 otherwise."""
    record = service.find_task(session, task_id)
    if record is None or not scope_of(session, principal).contains(session, record.unit_code):
        raise NotFound(f"task {task_id} not found")
    return record


def task_to_work(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskRecord:
    """The task if the caller may claim or complete it: its unit and one of its roles."""
    record = task(session, principal, task_id)
    if not can_work(
        principal, unit_code=record.unit_code, candidate_groups=record.candidate_groups
    ):
        raise Forbidden(
            "only a user of the task's unit with one of its roles may work on it",
            errors=[
                {"field": "unit", "message": record.unit_code or ""},
                {"field": "candidate_groups", "message": ",".join(record.candidate_groups)},
            ],
        )
    return record


def task_to_release(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskRecord:
    """Unclaim: the assignee themself, or the office that controls the task's instance."""
    record = task(session, principal, task_id)
    if record.assignee != principal.sub:
        require(principal, "tasks.assign")
        _control_task(session, principal, record, "tasks.unclaim")
    return record


def task_to_assign(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskRecord:
    """Re-assign (改派): the task if the caller controls its instance (404 / 403 otherwise)."""
    record = task(session, principal, task_id)
    _control_task(session, principal, record, "tasks.assign")
    return record


def _control_task(session: Session, principal: Principal, record: TaskRecord, action: str) -> None:
    owner = session.scalar(
        select(ProcessInstance.unit_code).where(ProcessInstance.id == record.instance_id)
    )
    require_control(
        session,
        principal,
        action,
        object_type="task",
        object_id=record.id,
        owner_unit=owner,
    )


def job_to_execute(session: Session, principal: Principal, job_id: uuid.UUID) -> Job:
    """A job (timer) the caller may fire: its instance visible (404) and controlled (403)."""
    job = queries.readable_job(session, principal, job_id)
    owner = session.scalar(
        select(ProcessInstance.unit_code).where(ProcessInstance.id == job.instance_id)
    )
    require_control(
        session,
        principal,
        "jobs.execute",
        object_type="job",
        object_id=job_id,
        owner_unit=owner,
    )
    return job


def task_to_modify(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskRecord:
    """Change a task's variables: the task if the caller controls its instance (404 / 403)."""
    record = task(session, principal, task_id)
    _control_task(session, principal, record, "instances.modify")
    return record


def incident_to_control(
    session: Session, principal: Principal, incident_id: uuid.UUID, action: str
) -> Incident:
    """An incident (with its instance) the caller may retry or resolve: its instance visible
    (404) and controlled (403)."""
    incident = queries.readable_incident(session, principal, incident_id)
    require_control(
        session,
        principal,
        action,
        object_type="incident",
        object_id=incident_id,
        owner_unit=incident.instance.unit_code,
    )
    return incident


def unit_in_scope(session: Session, principal: Principal, unit_code: str, field: str) -> None:
    """A unit the caller names (an owner, a new task unit) must be in their scope."""
    if not scope_of(session, principal).contains(session, unit_code):
        raise Forbidden(
            f"unit '{unit_code}' is outside your scope",
            errors=[{"field": field, "message": unit_code}],
        )


def workable(principal: Principal, record: TaskRecord) -> bool:
    """True when the caller may work on this task (for filtering an inbox)."""
    return allowed(principal, "tasks.work") and can_work(
        principal, unit_code=record.unit_code, candidate_groups=record.candidate_groups
    )
