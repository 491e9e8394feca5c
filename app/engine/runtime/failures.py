"""What an incident keeps of the step that failed, and how an incident closes.

A failed step writes nothing of itself: the instance keeps the state from before it. The
incident records the step's *trigger* — what set it going — so that a retry can run the same
step again on that state (`incidents.retry`): a start, a task completion with what was
submitted, a fired timer, a delivered message or signal with its payload, a worker's
completion or BPMN error, a change of variables.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import persist
from app.engine.persist import history_row
from app.engine.persist.data import json_safe
from app.engine.persist.models import Incident, ProcessInstance
from app.engine.runtime import notices
from app.engine.runtime.notices import Notice
from app.kit.clock import clock

STARTED = "instance_started"


def trigger_of(
    *,
    new: bool,
    event: str | None,
    event_data: dict[str, Any] | None,
    event_task: Any,
    actor: str | None,
) -> dict[str, Any]:
    """The trigger of a step as an incident keeps it (JSON): its history event name (a step
    of a new instance without one is its start), its data, its task and who set it going."""
    task_id = getattr(event_task, "id", None)
    return {
        "event": event or (STARTED if new else None),
        "data": json_safe(event_data) if event_data is not None else {},
        "task_id": str(task_id) if task_id is not None else None,
        "actor": actor,
    }


def open_incidents(session: Session, instance_id: uuid.UUID) -> list[Incident]:
    """The instance's incidents not yet resolved, oldest first."""
    query = (
        select(Incident)
        .where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
        .order_by(Incident.created_at)
    )
    return list(session.scalars(query))


def close(
    session: Session,
    incident: Incident,
    *,
    actor: str | None,
    resolution: str,
    note: str | None = None,
    **data: Any,
) -> ProcessInstance | None:
    """Mark an incident resolved (`retried` or `resolved`), tell listeners (`incident.resolved`);
    its instance runs again when it was in error and no other incident is open."""
    now = clock.now()
    incident.resolved_at, incident.resolved_by = now, actor
    incident.resolution, incident.note = resolution, note
    session.flush()
    row = session.get(ProcessInstance, incident.instance_id)
    if row is None:  # the incident would have gone with it (ON DELETE CASCADE)
        return None
    if row.status == "error" and not open_incidents(session, row.id):
        row.status = "running"
        row.updated_at = now
    values = history_row(
        row.id,
        "incident_resolved",
        actor=actor,
        element_id=incident.element_id,
        data={
            "incident_id": str(incident.id),
            "kind": incident.kind,
            "resolution": resolution,
            "note": note,
        },
    )
    session.connection().execute(persist.INSERT_HISTORY, [values])
    extra = {"resolved_by": actor, "resolution": resolution, "note": note, **data}
    notices.publish(
        session,
        Notice(
            "incident.resolved",
            instance=row,
            incident=incident,
            data={**extra, "status": row.status},
        ),
    )
    session.flush()
    return row
