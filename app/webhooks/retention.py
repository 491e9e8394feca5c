"""What webhooks keep, and for how long (app.events.retention): an event with a delivery still
to make (pending or failed) stays in the outbox; a delivered delivery and its attempts go after
`DUCHA_DELIVERED_RETENTION_DAYS`."""

from sqlalchemy import ColumnElement, exists

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


remove_delivered = retention.expiring(
    WebhookDelivery,
    WebhookDelivery.delivered_at,
    lambda settings: settings.delivered_retention_days,
    WebhookDelivery.status == "delivered",
)
"""One batch of deliveries delivered before the window (their attempts go with them)."""
