"""Who may read which notifications and contacts: the readable statements their reads start
from."""

import uuid

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.identity import readable as base
from app.identity.policy import Scope
from app.notifications.models import Contact, Notification


def notifications_clause(scope: Scope) -> ColumnElement[bool]:
    """Messages about, or to, a unit in scope."""
    return base.any_unit(scope, Notification.unit_code, Notification.recipient_unit)


def readable_notifications(session: Session, who: base.Who) -> Select[Notification]:
    """The notifications `who` may read."""
    return select(Notification).where(notifications_clause(base.scope(session, who)))


def readable_notification(
    session: Session, who: base.Who, notification_id: uuid.UUID
) -> Notification:
    """One notification `who` may read, or 404."""
    statement = readable_notifications(session, who).where(Notification.id == notification_id)
    return base.one(session, statement, "notification", notification_id)


def readable_contacts(session: Session, who: base.Who) -> Select[Contact]:
    """The contacts of the units in `who`'s scope."""
    return select(Contact).where(base.any_unit(base.scope(session, who), Contact.unit_code))
