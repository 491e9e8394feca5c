"""Who may read which external tasks: the readable statement their list and detail start from."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.engine import ExternalTask, readable_instance_ids
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
