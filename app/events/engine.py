"""Engine events (instances, tasks, timers, incidents, external tasks) as the outbox records them.

Each function adds one event to the caller's transaction; `units` are the instance's owner unit
and, for a task, the unit the task is given to.
"""

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.engine import ExternalTask, Incident, ProcessInstance, TaskRecord
from app.events.outbox import emit


def instance_data(row: ProcessInstance, **extra: Any) -> dict[str, Any]:
    """What every instance event says about its instance."""
    return {
        "instance_id": str(row.id),
        "process_key": row.process_key,
        "version": row.version,
        "business_key": row.business_key,
        "unit": row.unit_code,
        "status": row.status,
        **extra,
    }


def instance_event(
    session: Session, type_: str, row: ProcessInstance, *, actor: str | None, **extra: Any
) -> None:
    """instance.started / completed / cancelled / failed."""
    emit(
        session,
        type_,
        subject=str(row.id),
        data=instance_data(row, actor=actor, **extra),
        units=[row.unit_code],
        instance_id=row.id,
    )


def task_data(record: TaskRecord | dict[str, Any]) -> dict[str, Any]:
    """What every task event says about its task (a projection row or its dict)."""
    get = record.get if isinstance(record, dict) else lambda key: getattr(record, key)
    due = get("due_at")
    return {
        "task_id": str(get("id")),
        "instance_id": str(get("instance_id")),
        "process_key": get("process_key"),
        "element_id": get("element_id"),
        "name": get("name"),
        "unit": get("unit_code"),
        "candidate_groups": list(get("candidate_groups") or []),
        "assignee": get("assignee"),
        "due_at": due.isoformat() if due is not None else None,
    }


def task_event(
    session: Session,
    type_: str,
    record: TaskRecord | dict[str, Any],
    *,
    owner_unit: str | None,
    actor: str | None,
    also_units: tuple[str | None, ...] = (),
    **extra: Any,
) -> None:
    """task.created / assigned / claimed / completed (`also_units`: e.g. the unit a re-assigned
    task was taken from)."""
    data = {**task_data(record), "actor": actor, **extra}
    instance_id = uuid.UUID(data["instance_id"])
    emit(
        session,
        type_,
        subject=data["task_id"],
        data=data,
        units=[owner_unit, data["unit"], *also_units],
        instance_id=instance_id,
    )


def owner_of(session: Session, instance_id: uuid.UUID) -> str | None:
    """The owner unit of an instance (from the session's identity map when loaded)."""
    row = session.get(ProcessInstance, instance_id)
    return row.unit_code if row is not None else None


def incident_event(
    session: Session, type_: str, incident: Incident, row: ProcessInstance, **extra: Any
) -> None:
    """incident.raised / incident.resolved."""
    emit(
        session,
        type_,
        subject=str(incident.id),
        data={
            "incident_id": str(incident.id),
            "instance_id": str(row.id),
            "process_key": row.process_key,
            "business_key": row.business_key,
            "unit": row.unit_code,
            "kind": incident.kind,
            "element_id": incident.element_id,
            "job_id": str(incident.job_id) if incident.job_id else None,
            "message": incident.message,
            **extra,
        },
        units=[row.unit_code],
        instance_id=row.id,
    )


def external_task_event(session: Session, type_: str, row: ExternalTask, **extra: Any) -> None:
    """external_task.locked / completed / failed (a worker's act; `created` comes from the step)."""
    lock = row.lock_expires_at
    emit(
        session,
        type_,
        subject=str(row.id),
        data={
            "task_id": str(row.id),
            "instance_id": str(row.instance_id),
            "process_key": row.process_key,
            "business_key": row.business_key,
            "element_id": row.element_id,
            "name": row.name,
            "topic": row.topic,
            "lock_expires_at": lock.isoformat() if lock is not None else None,
            **extra,
        },
        units=[row.unit_code],
        instance_id=row.instance_id,
    )
