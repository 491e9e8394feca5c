"""Webhook rows written straight to the database, for the retention tests: a subscription and
its deliveries of outbox events (what the dispatcher would have made)."""

import uuid
from datetime import datetime

from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


def hook(s, at: datetime) -> Webhook:
    """A subscription (flushed: deliveries may reference it)."""
    row = Webhook(
        url="https://example.invalid/hook",
        secret="whsec_test",
        created_by="admin",
        created_at=at,
        updated_at=at,
    )
    s.add(row)
    s.flush()
    return row


def delivery(s, hook: Webhook, event_id: int, status: str, at: datetime) -> WebhookDelivery:
    """A delivery of the outbox event `event_id` in `status`, with one attempt, made at `at`."""
    row = WebhookDelivery(
        id=uuid.uuid4(),
        subscription_id=hook.id,
        event_id=event_id,
        webhook_id=str(uuid.uuid4()),
        event_type="ducha.test.happened",
        status=status,
        created_at=at,
        delivered_at=at if status == "delivered" else None,
    )
    s.add(row)
    s.flush()
    s.add(WebhookAttempt(delivery_id=row.id, at=at, status=status, duration_ms=3, worker="w"))
    return row
