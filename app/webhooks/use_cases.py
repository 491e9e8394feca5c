"""The administrator's acts on webhook subscriptions, one function each: `fn(session, *, actor,
…)` run by a route in one transaction (`app.engine.run`). Each loads its subscription inside that
transaction (404 when absent), changes it through `subscriptions.py`, writes the audit record and
answers with the schema the route returns."""

import uuid

from sqlalchemy.orm import Session

from app.identity import audit
from app.identity.principal import Principal
from app.webhooks import subscriptions
from app.webhooks.guard import AllowList
from app.webhooks.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut, WebhookPatch


def subscribe(s: Session, *, actor: Principal, body: WebhookIn, allow: AllowList) -> WebhookCreated:
    """Subscribe a URL to events; the answer shows the secret, never shown again."""
    hook = subscriptions.create(s, body, allow=allow, actor=actor.sub)
    audit.record_change(
        s, actor, "webhook.create", hook, object_type="webhook", data=subscriptions.audit_data(body)
    )
    return WebhookCreated(**WebhookOut.model_validate(hook).model_dump(), secret=hook.secret)


def change_webhook(
    s: Session, *, actor: Principal, webhook_id: uuid.UUID, body: WebhookPatch, allow: AllowList
) -> WebhookOut:
    """Change a subscription: URL, types, scope, secret, active, description."""
    hook = subscriptions.get(s, webhook_id)
    subscriptions.change(s, hook, body, allow=allow)
    audit.record_change(
        s, actor, "webhook.update", hook, object_type="webhook", data=subscriptions.audit_data(body)
    )
    return WebhookOut.model_validate(hook)


def delete_webhook(s: Session, *, actor: Principal, webhook_id: uuid.UUID) -> None:
    """Unsubscribe: the subscription goes, with its deliveries and their attempts."""
    hook = subscriptions.get(s, webhook_id)
    audit.record_change(
        s, actor, "webhook.delete", hook, object_type="webhook", data={"url": hook.url}
    )
    s.delete(hook)


def retry_delivery(
    s: Session, *, actor: Principal, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send a delivery again now (pending, failed or delivered; same `webhook-id`)."""
    hook = subscriptions.get(s, webhook_id)
    delivery = subscriptions.retry(s, hook, delivery_id)
    audit.record_change(
        s,
        actor,
        "webhook.retry",
        hook,
        object_type="webhook",
        data={"delivery_id": str(delivery_id)},
    )
    return subscriptions.delivery_out(s, [delivery])[0]
