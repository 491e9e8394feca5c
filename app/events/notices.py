"""The engine's notices as outbox events: the engine publishes what it did
(`app.engine.runtime.notices`), this package records it, in the same transaction."""

from sqlalchemy.orm import Session

from app.engine import Notice
from app.events.engine import (
    external_task_event,
    incident_event,
    instance_event,
    owner_of,
    task_event,
)
from app.events.outbox import emit

INSTANCE_KINDS = (
    "instance.failed",
    "instance.cancelled",
    "instance.suspended",
    "instance.activated",
    "instance.modified",
    "instance.variables_changed",
    "instance.migrated",
)


def on_notice(session: Session, notice: Notice) -> None:
    """One engine notice, one event (a notice no event is known for is a bug: it raises)."""
    kind = notice.kind
    if kind in INSTANCE_KINDS:
        assert notice.instance is not None
        instance_event(session, kind, notice.instance, actor=notice.actor, **notice.data)
    elif kind in ("definition.suspended", "definition.activated"):
        data = notice.data  # the definition, the reason, how many instances changed with it
        emit(session, kind, subject=data["definition_id"], data=data, units=[data["unit"]])
    elif kind in ("incident.raised", "incident.resolved"):
        assert notice.instance is not None and notice.incident is not None
        incident_event(session, kind, notice.incident, notice.instance, **notice.data)
    elif kind in ("task.claimed", "task.assigned"):
        assert notice.task is not None
        record = notice.task
        owner = owner_of(session, record.instance_id)
        previous = notice.data.get("previous")
        also = (previous["unit"],) if previous is not None else ()
        task_event(
            session,
            kind,
            record,
            owner_unit=owner,
            actor=notice.actor,
            also_units=also,
            **notice.data,
        )
    elif kind == "external_task.created":
        assert notice.instance is not None
        row = notice.instance
        emit(
            session,
            kind,
            subject=notice.data["task_id"],
            data=notice.data,
            units=[row.unit_code],
            instance_id=row.id,
        )
    elif kind in ("external_task.locked", "external_task.completed", "external_task.failed"):
        assert notice.external_task is not None
        external_task_event(session, kind, notice.external_task, **notice.data)
    elif kind == "migration.finished":
        data = notice.data
        emit(session, kind, subject=data["batch_id"], data=data, units=[data["unit"]])
    else:
        raise ValueError(f"no event is known for the engine notice {kind!r}")
