"""Retry a failed message: send it again now, or look again for whom a message can reach."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.models import OutboxEvent
from app.identity.principal import Role
from app.kit.clock import clock
from app.kit.errors import DomainError
from app.notifications import contacts, messages
from app.notifications.models import Notification


class NotRetryable(DomainError):
    status, code = 409, "not_retryable"


def retry(session: Session, row: Notification, planner: messages.Planner) -> list[Notification]:
    """A failed message goes again at once with fresh attempts; a row that reached nobody
    (no contact, no address) is planned again for the contacts there are now."""
    if row.status != "failed":
        raise NotRetryable(f"only a failed notification is retried; this one is {row.status}")
    if row.channel is not None and row.recipient_sub is not None and row.body:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, clock.now()
        row.locked_by = row.locked_until = None
        return [row]
    return _replan(session, row, planner)


def _replan(session: Session, row: Notification, planner: messages.Planner) -> list[Notification]:
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.event_id == row.event_id)).first()
    occasion = (
        messages.occasion_of(session, event, row.kind, planner.base_url)
        if event is not None
        else None
    )
    if occasion is None:
        raise NotRetryable("what this notification was about no longer exists")
    role = Role(row.recipient_role)
    people = contacts.reachable(session, row.recipient_unit, role)
    if row.recipient_sub is not None:
        people = [p for p in people if p.sub == row.recipient_sub]
    if not people:
        raise NotRetryable(
            f"still no contact for unit {row.recipient_unit} role {role.value}: add one "
            "(PUT /api/v1/contacts/{sub}) and retry",
            errors=[{"field": "recipient_unit", "message": row.recipient_unit}],
        )
    rows = [r for p in people for r in messages.to_person(session, occasion, planner, p, role)]
    row.last_error = f"{row.last_error} (retried: {len(rows)} new notifications)"
    return rows
