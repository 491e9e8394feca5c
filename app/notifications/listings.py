"""What the reads of contacts and messages answer: pages and lists of the rows the caller may
read, each shown as the caller may see it (addresses withheld unless policy.sees_contact)."""

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.identity.principal import Principal
from app.kit.paging import page
from app.kit.shared import Page
from app.notifications import contacts, queries
from app.notifications.models import Contact, Notification
from app.notifications.schemas import ContactOut, NotificationOut, Status
from app.supervision.models import Matter


def contacts_page(
    s: Session,
    principal: Principal,
    *,
    unit: str | None,
    role: str | None,
    limit: int,
    offset: int,
) -> Page[ContactOut]:
    """Contacts of the units in scope, by unit and name, of one unit or role if asked."""
    query = queries.readable_contacts(s, principal)
    if unit:
        query = query.where(Contact.unit_code == unit)
    rows = s.scalars(query.order_by(Contact.unit_code, Contact.name, Contact.sub))
    # Roles are a JSON list: a unit has few contacts, so they are filtered here.
    items = [
        contacts.shown_contact(s, principal, c) for c in rows if role is None or role in c.roles
    ]
    return Page(items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)


def notifications_page(
    s: Session,
    principal: Principal,
    *,
    status: Status | None,
    unit: str | None,
    matter_id: uuid.UUID | None,
    rectification_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Page[NotificationOut]:
    """Messages about, or to, units in scope, newest first, filtered as asked."""
    query = queries.readable_notifications(s, principal)
    if status is not None:
        query = query.where(Notification.status == status)
    if unit:
        query = query.where(
            or_(Notification.unit_code == unit, Notification.recipient_unit == unit)
        )
    if matter_id is not None:
        query = query.where(Notification.matter_id == matter_id)
    if rectification_id is not None:
        query = query.where(Notification.rectification_id == rectification_id)
    order = Notification.created_at.desc()
    result: Page[NotificationOut] = page(s, query, order, NotificationOut, limit, offset)
    shown = [contacts.shown_notification(s, principal, n) for n in result.items]
    return result.model_copy(update={"items": shown})


def about_matter(s: Session, principal: Principal, matter: Matter) -> list[NotificationOut]:
    """Every message about a matter, oldest first."""
    rows = s.scalars(
        select(Notification)
        .where(Notification.matter_id == matter.id)
        .order_by(Notification.created_at, Notification.id)
    )
    return [contacts.shown_notification(s, principal, r) for r in rows]
