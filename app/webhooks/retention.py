"""What webhooks keep, and for how long (app.events.retention): an event with a delivery still
to make (pending or failed) stays in the outbox; a delivered delivery and its attempts go after
`DUCHA_DELIVERED_RETENTION_DAYS`."""

from datetime import datetime

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import Session

from app.config import Settings
from app.events import retention
from app.events.models import OutboxEvent
from app.webhooks.models import WebhookDelivery


def _undelivered() -> ColumnElement[bool]:
    return exists().where(
        WebhookDelivery.event_id == OutboxEvent.id, WebhookDelivery.status != "delivered"
    )


def register() -> None:
    """Tell the retention worker what webhooks keep and what they let go."""
    retention.keep_event_when(_undelivered)
    retention.sweep(remove_delivered)


def remove_delivered(session: Session, now: datetime, settings: Settings) -> int:
    """One batch of deliveries delivered before the window (their attempts go with them)."""
    before = retention.window_start(now, settings.delivered_retention_days)
    if before is None:
        return 0
    return retention.remove_batch(
        session,
        WebhookDelivery,
        WebhookDelivery.status == "delivered",
        WebhookDelivery.delivered_at < before,
    )
