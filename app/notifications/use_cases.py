"""The acts on contacts and messages, one function each: `fn(session, *, actor, …)` run by a
route in one transaction (`app.engine.run`). Each loads its row inside that transaction, checks
the caller's scope or control, changes it, writes the audit record and answers with the schema
the route returns (addresses shown as the caller may see them)."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity import audit
from app.identity.policy import Forbidden, require_control, scope_of
from app.identity.principal import Principal
from app.notifications import contacts, messages, queries, retry
from app.notifications.models import Contact, Notification
from app.notifications.schemas import ContactAdminIn, ContactIn, ContactOut, NotificationOut
from app.rectification.models import Rectification
from app.supervision.models import Matter


def save_my_contact(s: Session, *, actor: Principal, body: ContactIn) -> ContactOut:
    """Set the caller's own e-mail, IM id, channels and quiet hours; unit and roles come from
    the token."""
    contact = contacts.save(
        s,
        actor.sub,
        body,
        name=actor.name,
        unit=actor.unit,
        roles=sorted(actor.roles),
        by=actor.sub,
    )
    _audit(s, actor, "contact.update", contact.sub, contact.unit_code, body.model_dump())
    return ContactOut.model_validate(contact)


def save_contact(s: Session, *, actor: Principal, sub: str, body: ContactAdminIn) -> ContactOut:
    """Keep someone's contact (an administrator), of a unit in scope, moved to one in scope."""
    _in_scope(s, actor, body.unit_code)
    existing = s.get(Contact, sub)
    if existing is not None:
        _in_scope(s, actor, existing.unit_code)
    contact = contacts.save_by_admin(s, sub, body, by=actor.sub)
    _audit(s, actor, "contact.update", sub, contact.unit_code, body.model_dump())
    return ContactOut.model_validate(contact)


def delete_contact(s: Session, *, actor: Principal, sub: str) -> None:
    """Remove a contact of a unit in scope (messages already sent keep their address)."""
    contact = contacts.get(s, sub)
    _in_scope(s, actor, contact.unit_code)
    s.delete(contact)
    _audit(s, actor, "contact.delete", sub, contact.unit_code, {})


def retry_notification(
    s: Session,
    *,
    actor: Principal,
    notification_id: uuid.UUID,
    planner: messages.Planner,
) -> list[NotificationOut]:
    """Send a failed message again (now); one that reached nobody looks for contacts again."""
    row = queries.readable_notification(s, actor, notification_id)
    control_subject(s, actor, row)
    rows = retry.retry(s, row, planner)
    _audit(
        s,
        actor,
        "notification.retry",
        str(row.id),
        row.unit_code,
        {"rows": [str(r.id) for r in rows]},
    )
    return [contacts.shown_notification(s, actor, r) for r in rows]


def control_subject(s: Session, actor: Principal, row: Notification) -> None:
    """Retrying a message is an act on what it is about: the matter's (or rectification's)
    controlling office, or an admin (policy.controls); an involved unit's office only sees it."""
    owner: str | None = row.unit_code
    kind = "notification"
    if row.matter_id is not None:
        owner = s.scalar(select(Matter.owner_unit).where(Matter.id == row.matter_id))
        kind = "matter"
    elif row.rectification_id is not None:
        owner = s.scalar(
            select(Rectification.owner_unit).where(Rectification.id == row.rectification_id)
        )
        kind = "rectification"
    require_control(
        s,
        actor,
        "notifications.retry",
        object_type=kind,
        object_id=row.matter_id or row.rectification_id or row.id,
        owner_unit=owner,
    )


def _in_scope(s: Session, actor: Principal, unit: str) -> None:
    if not scope_of(s, actor).contains(s, unit):
        raise Forbidden(f"unit '{unit}' is outside your scope", errors=[{"field": "unit_code"}])


def _audit(
    s: Session, actor: Principal, action: str, object_id: str, unit: str, data: dict[str, Any]
) -> None:
    audit.record(
        s,
        actor,
        action,
        object_type="notification" if action.startswith("notification") else "contact",
        object_id=object_id,
        unit_code=unit,
        data=_jsonable(data),
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
