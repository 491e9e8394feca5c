"""REST routes of webhooks: subscriptions (admin), their deliveries and a retry.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.engine import EngineDep, SessionDep, run
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.webhooks import subscriptions, use_cases
from app.webhooks.guard import AllowList
from app.webhooks.models import Webhook
from app.webhooks.schemas import (
    DeliveryOut,
    DeliveryStatus,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = Router(prefix="/api/v1/webhooks", tags=["webhooks"], responses=ERRORS)
routers = [router]
Admin = Annotated[Principal, Depends(permission("webhooks.manage"))]


async def get_allow_list(request: Request) -> AllowList:
    """The networks a webhook's URL may point into (settings)."""
    return AllowList.parse(request.app.state.settings.webhook_allowed_networks)


AllowDep = Annotated[AllowList, Depends(get_allow_list)]


def readable_webhook(webhook_id: uuid.UUID, s: SessionDep, _principal: Admin) -> Webhook:
    """The subscription of the path (administrators read them all); 404 when there is none."""
    return subscriptions.get(s, webhook_id)


ReadableWebhook = Annotated[Webhook, Depends(readable_webhook)]


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def subscribe(
    body: WebhookIn, engine: EngineDep, allow: AllowDep, principal: Admin
) -> WebhookCreated:
    """Subscribe a URL to events; the answer shows the secret, never shown again."""
    return run(engine, use_cases.subscribe, actor=principal, body=body, allow=allow)


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(
    s: SessionDep,
    _principal: Admin,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[WebhookOut]:
    """Subscriptions, newest first (secrets masked)."""
    return subscriptions.webhooks_page(s, active=active, limit=limit, offset=offset)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(hook: ReadableWebhook) -> WebhookOut:
    """One subscription (its secret masked)."""
    return WebhookOut.model_validate(hook)


@router.patch("/{webhook_id}", response_model=WebhookOut)
def change_webhook(
    webhook_id: uuid.UUID, body: WebhookPatch, engine: EngineDep, allow: AllowDep, principal: Admin
) -> WebhookOut:
    """Change a subscription: URL, types, scope, secret, active, description."""
    return run(
        engine,
        use_cases.change_webhook,
        actor=principal,
        webhook_id=webhook_id,
        body=body,
        allow=allow,
    )


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, engine: EngineDep, principal: Admin) -> Response:
    """Unsubscribe: the subscription goes, with its deliveries and their attempts."""
    run(engine, use_cases.delete_webhook, actor=principal, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    hook: ReadableWebhook,
    s: SessionDep,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """The subscription's deliveries, newest first, each with its attempts."""
    return subscriptions.deliveries_page(s, hook, status=status_, limit=limit, offset=offset)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, engine: EngineDep, principal: Admin
) -> DeliveryOut:
    """Send a delivery again now (pending, failed or delivered; same `webhook-id`)."""
    return run(
        engine,
        use_cases.retry_delivery,
        actor=principal,
        webhook_id=webhook_id,
        delivery_id=delivery_id,
    )
