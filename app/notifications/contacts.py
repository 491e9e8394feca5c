"""The contact directory (通讯录): who is reached for a unit and role, and how."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity.policy import sees_contact
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.errors import InvalidData, NotFound
from app.notifications.models import Contact, Notification
from app.notifications.schemas import ContactAdminIn, ContactIn, ContactOut, NotificationOut
from app.org import service as units
from app.org.models import Unit

# What stands in for an address inside a message's subject, body or error (docs/access.md).
MASK = "[redacted]"


def shown_contact(session: Session, principal: Principal, contact: Contact) -> ContactOut:
    """A contact as this caller may see it: e-mail and IM id withheld unless policy.sees_contact."""
    out = ContactOut.model_validate(contact)
    if sees_contact(session, principal, sub=contact.sub, unit_code=contact.unit_code):
        return out
    return out.model_copy(update={"email": None, "im_id": None, "redacted": True})


def shown_notification(
    session: Session, principal: Principal, message: Notification | NotificationOut
) -> NotificationOut:
    """A message as this caller may see it: the recipient's address withheld (and masked
    wherever the text repeats it: an http body's `to`, an error) unless policy.sees_contact."""
    out = NotificationOut.model_validate(message)
    address = out.address
    if address is None or sees_contact(
        session, principal, sub=out.recipient_sub, unit_code=out.recipient_unit
    ):
        return out
    return out.model_copy(
        update={
            "address": None,
            "subject": out.subject.replace(address, MASK),
            "body": out.body.replace(address, MASK),
            "last_error": None if out.last_error is None else out.last_error.replace(address, MASK),
            "redacted": True,
        }
    )


def check(body: ContactIn) -> None:
    """Each chosen channel needs its address; quiet hours have both ends and some length."""
    errors = []
    if "email" in body.channels and not body.email:
        errors.append({"field": "email", "message": "the email channel needs an e-mail address"})
    if "http" in body.channels and not body.im_id:
        errors.append({"field": "im_id", "message": "the http channel needs an IM id or mobile"})
    if not body.channels:
        errors.append({"field": "channels", "message": "choose at least one channel"})
    if (body.quiet_start is None) != (body.quiet_end is None):
        field = "quiet_end" if body.quiet_end is None else "quiet_start"
        errors.append({"field": field, "message": "quiet hours need a start and an end"})
    elif body.quiet_start is not None and body.quiet_start == body.quiet_end:
        errors.append({"field": "quiet_end", "message": "quiet hours cannot end when they start"})
    if errors:
        raise InvalidData("the contact is not valid", errors=errors)


def save(
    session: Session, sub: str, body: ContactIn, *, name: str, unit: str, roles: list[str], by: str
) -> Contact:
    """Create or replace one person's contact."""
    check(body)
    contact = session.get(Contact, sub) or Contact(sub=sub)
    contact.name = body.name or name
    contact.unit_code, contact.roles = unit, sorted(roles)
    contact.email, contact.im_id, contact.channels = body.email, body.im_id, list(body.channels)
    contact.quiet_start, contact.quiet_end = body.quiet_start, body.quiet_end
    contact.active = body.active
    contact.updated_by, contact.updated_at = by, clock.now()
    session.add(contact)
    session.flush()
    return contact


def save_by_admin(session: Session, sub: str, body: ContactAdminIn, *, by: str) -> Contact:
    """An administrator keeps someone's contact: the unit must exist."""
    if session.get(Unit, body.unit_code) is None:
        raise InvalidData(
            f"unit '{body.unit_code}' does not exist",
            errors=[{"field": "unit_code", "message": "no such unit"}],
        )
    return save(session, sub, body, name=body.name, unit=body.unit_code, roles=body.roles, by=by)


def get(session: Session, sub: str) -> Contact:
    contact = session.get(Contact, sub)
    if contact is None:
        raise NotFound(f"no contact for '{sub}'")
    return contact


def reachable(session: Session, unit: str, role: str) -> list[Contact]:
    """The active contacts of a unit who hold a role, by name."""
    rows = session.scalars(
        select(Contact)
        .where(Contact.unit_code == unit, Contact.active.is_(True))
        .order_by(Contact.name, Contact.sub)
    )
    return [c for c in rows if role in (c.roles or [])]


def government_above(session: Session, unit: str) -> str | None:
    """The nearest government strictly above a unit (a department's own government, a city's
    province): whose leaders hear of a 督办 to the leader in charge."""
    path = units.path_of(session, unit)
    if path is None:
        return None
    above = path.rstrip("/").split("/")[:-1]
    governments = set(
        session.scalars(select(Unit.code).where(Unit.code.in_(above), Unit.kind == "government"))
    )
    return next((code for code in reversed(above) if code in governments), None)
