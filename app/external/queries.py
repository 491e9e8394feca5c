"""Who may read which external tasks: the readable statement their list and detail start from."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.engine import ExternalTask, external_locked_clause, readable_instance_ids
from app.identity import readable as base
from app.identity.policy import allowed
from app.identity.principal import Principal


def readable(session: Session, principal: Principal) -> Select[ExternalTask]:
    """Workers (and admins) read every external task; everyone else those of the instances
    they may read (`app.engine.api.queries`, through the engine's face)."""
    statement = select(ExternalTask)
    if allowed(principal, "external_tasks.work"):
        return statement
    scope = base.scope(session, principal)
    if scope.everything:
        return statement
    return statement.where(ExternalTask.instance_id.in_(readable_instance_ids(scope)))


def readable_task(session: Session, principal: Principal, task_id: uuid.UUID) -> ExternalTask:
    """One external task the caller may read, or 404."""
    statement = readable(session, principal).where(ExternalTask.id == task_id)
    return base.one(session, statement, "external task", task_id)


def filtered(
    session: Session,
    principal: Principal,
    *,
    topic: str | None,
    locked: bool | None,
    with_incident: bool | None,
    process_instance_id: uuid.UUID | None,
    worker_id: str | None,
) -> Select[ExternalTask]:
    """The readable external tasks that match the list's filters (each optional)."""
    query = readable(session, principal)
    if topic:
        query = query.where(ExternalTask.topic == topic)
    if locked is not None:
        query = query.where(external_locked_clause(locked))
    if with_incident is not None:
        has = ExternalTask.incident_id.is_not(None)
        query = query.where(has if with_incident else ~has)
    if process_instance_id:
        query = query.where(ExternalTask.instance_id == process_instance_id)
    if worker_id:
        query = query.where(ExternalTask.worker_id == worker_id)
    return query
