"""延期申请 — a unit asks for more time before its deadline; the office decides; an approved
extension moves the deadline and the process's timers with it."""

import uuid

from sqlalchemy.orm import Session

from app.engine import Engine, set_variables
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData, NotFound
from app.supervision import deadlines as rules
from app.supervision.matters import timer_variables, today
from app.supervision.models import ExtensionRequest, Matter, MatterDeadline
from app.supervision.schemas import ExtensionDecision, ExtensionIn
from app.supervision.timeline import note, unit_label


class DeadlinePassed(DomainError):
    """seed 三(一): reasons must be reported before the deadline; afterwards it is too late."""

    status, code = 422, "deadline_passed"


class AlreadyDecided(DomainError):
    status, code = 409, "already_decided"


def request(
    session: Session, matter: Matter, body: ExtensionIn, *, unit: str, actor: str
) -> ExtensionRequest:
    """File a request for one of the unit's open deadlines, strictly before it falls due."""
    deadline = session.get(MatterDeadline, body.deadline_id)
    if deadline is None or deadline.matter_id != matter.id or deadline.unit_code != unit:
        raise NotFound("no such deadline of your unit on this matter")
    if deadline.done_on is not None:
        raise InvalidData(
            "the obligation is already fulfilled",
            errors=[{"field": "deadline_id", "message": "done"}],
        )
    if not rules.extension_allowed(deadline.due, today()):
        raise DeadlinePassed(
            f"an extension must be requested before the deadline ({deadline.due})",
            errors=[{"field": "deadline_id", "message": f"due {deadline.due}"}],
        )
    if body.requested_due <= deadline.due:
        raise InvalidData(
            "the new deadline must be after the current one",
            errors=[{"field": "requested_due", "message": f"after {deadline.due}"}],
        )
    row = ExtensionRequest(
        matter_id=matter.id,
        unit_code=unit,
        deadline_id=deadline.id,
        requested_due=body.requested_due,
        reason=body.reason,
        progress=body.progress,
        status="pending",
        requested_by=actor,
        requested_at=clock.now(),
    )
    session.add(row)
    session.flush()
    note(
        session,
        matter,
        "extension_requested",
        f"{unit_label(session, unit)} 申请延期："
        f"{deadline.label} {deadline.due} → {body.requested_due}",
        unit=unit,
        actor=actor,
        data={"reason": body.reason},
        event_data={
            "extension_id": str(row.id),
            "deadline_id": str(deadline.id),
            "label": deadline.label,
            "due": deadline.due.isoformat(),
            "requested_due": body.requested_due.isoformat(),
            "reason": body.reason,
        },
    )
    return row


def decide(
    engine: Engine,
    session: Session,
    matter: Matter,
    extension_id: uuid.UUID,
    body: ExtensionDecision,
    *,
    actor: str,
) -> ExtensionRequest:
    """Approve (the deadline moves, timers move with it) or reject a pending request."""
    row = session.get(ExtensionRequest, extension_id)
    if row is None or row.matter_id != matter.id:
        raise NotFound(f"extension request {extension_id} not found")
    if row.status != "pending":
        raise AlreadyDecided(f"the request was already {row.status}")
    row.status = "approved" if body.approve else "rejected"
    row.decided_by, row.decided_at, row.decision_comment = actor, clock.now(), body.comment
    if not body.approve:
        note(
            session,
            matter,
            "extension_rejected",
            f"不同意延期：{body.comment or ''}",
            unit=row.unit_code,
            actor=actor,
            event_data={
                "extension_id": str(row.id),
                "deadline_id": str(row.deadline_id),
                "requested_due": row.requested_due.isoformat(),
                "comment": body.comment,
            },
        )
        return row
    deadline = session.get(MatterDeadline, row.deadline_id)
    assert deadline is not None
    previous_due = deadline.due
    deadline.original_due = deadline.original_due or deadline.due
    deadline.due = row.requested_due
    if deadline.kind == "final_report":
        matter.final_due = row.requested_due
        if matter.instance_id is not None:
            set_variables(
                engine,
                session,
                instance_id=matter.instance_id,
                variables=timer_variables(row.requested_due),
                actor=actor,
            )
    note(
        session,
        matter,
        "extension_approved",
        f"同意延期：{deadline.label}时限调整为 {row.requested_due}",
        unit=row.unit_code,
        actor=actor,
        event_data={
            "extension_id": str(row.id),
            "deadline_id": str(deadline.id),
            "kind": deadline.kind,
            "label": deadline.label,
            "previous_due": previous_due.isoformat(),
            "due": row.requested_due.isoformat(),
            "comment": body.comment,
        },
    )
    return row
