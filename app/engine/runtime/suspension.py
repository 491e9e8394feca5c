"""Suspension (挂起) and activation (激活) of process instances and definition versions, as
Camunda 7 has them.

A suspended instance keeps its state but nothing moves its tokens: its tasks cannot be
completed, claimed or re-assigned (409 `suspended`), its timers do not fire (the scheduler takes
only running instances' jobs) and fire once it is activated if they came due meanwhile, messages,
signals and workers do not reach it. It may still be read and cancelled. A suspended definition
version starts no new instance (409 `definition_suspended`); message, signal and conditional
starts skip it; its running instances are suspended with it only when asked.

Each change bumps the instance's `lock_version`, so that a step that loaded the instance before
it was suspended fails its version check, is retried and then meets the suspension.
"""

import uuid
from typing import Any

from sqlalchemy import Select, case, select, update
from sqlalchemy.orm import Session

from app.engine import persist
from app.engine.persist.models import Incident, ProcessDefinition, ProcessInstance
from app.engine.runtime import notices
from app.engine.runtime.notices import Notice
from app.kit.clock import clock
from app.kit.errors import DefinitionSuspended, InstanceNotRunning, NotSuspended, Suspended

RUNNING, SUSPENDED, ERROR = "running", "suspended", "error"


# --- guards ----------------------------------------------------------------------------------


def require_running(row: ProcessInstance) -> None:
    """Only a running instance takes a step: 409 `suspended` for a suspended one (activate it
    first), 409 `instance_not_running` for one that ended or failed."""
    if row.status == RUNNING:
        return
    if row.status == SUSPENDED:
        raise Suspended(f"process instance {row.id} is suspended: activate it first")
    raise InstanceNotRunning(f"instance is {row.status}")


def require_not_suspended(session: Session, instance_id: uuid.UUID) -> None:
    """A task act that takes no step (claim, re-assign) is refused on a suspended instance."""
    row = session.get(ProcessInstance, instance_id)  # in the session already with its task
    if row is not None and row.status == SUSPENDED:
        raise Suspended(f"process instance {instance_id} is suspended: activate it first")


def require_startable(definition: ProcessDefinition) -> None:
    """A suspended definition version starts no instance."""
    if definition.suspended_at is not None:
        raise DefinitionSuspended(
            f"process '{definition.key}' version {definition.version} is suspended: "
            "activate it to start instances",
            errors=[{"field": "process_key", "message": "the definition version is suspended"}],
        )


def startable(definitions: list[ProcessDefinition]) -> list[ProcessDefinition]:
    """Those of `definitions` that are not suspended (message, signal, conditional starts)."""
    return [d for d in definitions if d.suspended_at is None]


# --- instances -------------------------------------------------------------------------------


def suspend_instance(
    session: Session, row: ProcessInstance, *, actor: str | None, reason: str
) -> None:
    """Suspend a running instance (409 otherwise)."""
    if row.status == SUSPENDED:
        raise Suspended(f"process instance {row.id} is already suspended")
    if row.status != RUNNING:
        raise InstanceNotRunning(f"instance is {row.status}: only a running one can be suspended")
    _change(session, row, SUSPENDED, "instance_suspended", "instance.suspended", actor, reason)


def activate_instance(
    session: Session, row: ProcessInstance, *, actor: str | None, reason: str
) -> None:
    """Activate a suspended instance: it runs again (in `error` if an incident is open)."""
    if row.status != SUSPENDED:
        raise NotSuspended(f"process instance {row.id} is {row.status}, not suspended")
    status = ERROR if _open_incident(session, row.id) else RUNNING
    _change(session, row, status, "instance_activated", "instance.activated", actor, reason)


def _change(
    session: Session,
    row: ProcessInstance,
    status: str,
    event: str,
    kind: str,
    actor: str | None,
    reason: str,
) -> None:
    row.status, row.updated_at = status, clock.now()
    session.flush()  # the version-checked UPDATE: a concurrent step makes one of the two retry
    values = persist.history_row(row.id, event, actor=actor, data={"reason": reason})
    session.connection().execute(persist.INSERT_HISTORY, [values])
    notices.publish(session, Notice(kind, instance=row, actor=actor, data={"reason": reason}))


def _open_incident(session: Session, instance_id: uuid.UUID) -> bool:
    query = select(Incident.id).where(
        Incident.instance_id == instance_id, Incident.resolved_at.is_(None)
    )
    return session.scalar(query.limit(1)) is not None


# --- definitions -----------------------------------------------------------------------------


def suspend_definition(
    session: Session,
    definition: ProcessDefinition,
    *,
    actor: str | None,
    unit_code: str | None,
    reason: str,
    include_instances: bool,
    controlled: Select[Any] | None,
) -> int:
    """Suspend a definition version; with `include_instances`, also its running instances
    among `controlled` (ids; None: all). Already suspended, only the instances are (409
    without them). Returns how many instances were suspended."""
    changed = definition.suspended_at is None
    if not changed and not include_instances:
        raise DefinitionSuspended(
            f"process '{definition.key}' version {definition.version} is already suspended"
        )
    if changed:
        definition.suspended_at = clock.now()
        definition.suspended_by, definition.suspension_reason = actor, reason
        session.flush()
    count = 0
    if include_instances:
        count = _bulk(session, definition, RUNNING, SUSPENDED, actor, reason, controlled)
    if changed:
        _definition_notice(
            session, "definition.suspended", definition, actor, unit_code, reason, count
        )
    return count


def activate_definition(
    session: Session,
    definition: ProcessDefinition,
    *,
    actor: str | None,
    unit_code: str | None,
    reason: str,
    include_instances: bool,
    controlled: Select[Any] | None,
) -> int:
    """Activate a definition version; with `include_instances`, also its suspended instances
    among `controlled`. Not suspended, only the instances are (409 without them). Returns how
    many instances were activated."""
    changed = definition.suspended_at is not None
    if not changed and not include_instances:
        raise NotSuspended(
            f"process '{definition.key}' version {definition.version} is not suspended"
        )
    if changed:
        definition.suspended_at = None
        definition.suspended_by = definition.suspension_reason = None
        session.flush()
    count = 0
    if include_instances:
        count = _bulk(session, definition, SUSPENDED, RUNNING, actor, reason, controlled)
    if changed:
        _definition_notice(
            session, "definition.activated", definition, actor, unit_code, reason, count
        )
    return count


def _bulk(
    session: Session,
    definition: ProcessDefinition,
    before: str,
    after: str,
    actor: str | None,
    reason: str,
    controlled: Select[Any] | None,
) -> int:
    """One UPDATE of every instance of the version in state `before` (among `controlled`), one
    INSERT of their history events, and an event per instance. Activated instances with an
    open incident go back to `error`."""
    now = clock.now()
    query = update(ProcessInstance).where(
        ProcessInstance.definition_id == definition.id, ProcessInstance.status == before
    )
    if controlled is not None:
        query = query.where(ProcessInstance.id.in_(controlled))
    status: Any = after
    if after == RUNNING:  # back to `error` when an incident is open
        failed = select(Incident.instance_id).where(Incident.resolved_at.is_(None))
        status = case((ProcessInstance.id.in_(failed), ERROR), else_=RUNNING)
    changed = query.values(
        status=status, updated_at=now, lock_version=ProcessInstance.lock_version + 1
    ).returning(ProcessInstance)
    rows = list(session.scalars(changed, execution_options={"synchronize_session": False}).all())
    if not rows:
        return 0
    event = "instance_suspended" if after == SUSPENDED else "instance_activated"
    data = {"reason": reason, "definition_id": str(definition.id)}
    history = [persist.history_row(r.id, event, actor=actor, data=data) for r in rows]
    session.connection().execute(persist.INSERT_HISTORY, history)
    kind = "instance.suspended" if after == SUSPENDED else "instance.activated"
    for row in rows:
        notices.publish(session, Notice(kind, instance=row, actor=actor, data=data))
    return len(rows)


def _definition_notice(
    session: Session,
    kind: str,
    definition: ProcessDefinition,
    actor: str | None,
    unit_code: str | None,
    reason: str,
    instances: int,
) -> None:
    data = {
        "definition_id": str(definition.id),
        "process_key": definition.key,
        "version": definition.version,
        "reason": reason,
        "instances": instances,
        "actor": actor,
        "unit": unit_code,
    }
    notices.publish(session, Notice(kind, actor=actor, data=data))
