"""REST routes of webhooks: subscriptions (admin), their deliveries and a retry."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset
from app.kit.shared import ERRORS, Page
from app.webhooks import subscriptions
from app.webhooks.guard import AllowList
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.schemas import (
    DeliveryOut,
    DeliveryStatus,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=ERRORS)
routers = [router]
Admin = Annotated[Principal, Depends(permission("webhooks.manage"))]


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_allow_list(request: Request) -> AllowList:
    return AllowList.parse(request.app.state.settings.webhook_allowed_networks)


DbDep = Annotated[Database, Depends(get_db)]
AllowDep = Annotated[AllowList, Depends(get_allow_list)]


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def subscribe(body: WebhookIn, db: DbDep, allow: AllowDep, principal: Admin) -> WebhookCreated:
    """Subscribe a URL to events; the answer shows the secret, never shown again."""

    def work(s: Session) -> WebhookCreated:
        hook = subscriptions.create(s, body, allow=allow, actor=principal.sub)
        audit.record_change(
            s,
            principal,
            "webhook.create",
            hook,
            object_type="webhook",
            data=subscriptions.audit_data(body),
        )
        return WebhookCreated(**WebhookOut.model_validate(hook).model_dump(), secret=hook.secret)

    return db.transaction(work)


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(
    db: DbDep, _principal: Admin, active: bool | None = None, limit: Limit = 50, offset: Offset = 0
) -> Page[WebhookOut]:
    """Subscriptions, newest first (secrets masked)."""
    query = select(Webhook)
    if active is not None:
        query = query.where(Webhook.active.is_(active))
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = s.scalars(query.order_by(Webhook.created_at.desc()).limit(limit).offset(offset))
        items = [WebhookOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: uuid.UUID, db: DbDep, _principal: Admin) -> WebhookOut:
    """One subscription (its secret masked)."""
    with db.session() as s:
        return WebhookOut.model_validate(subscriptions.get(s, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut)
def change_webhook(
    webhook_id: uuid.UUID, body: WebhookPatch, db: DbDep, allow: AllowDep, principal: Admin
) -> WebhookOut:
    """Change a subscription: URL, types, scope, secret, active, description."""

    def work(s: Session) -> WebhookOut:
        hook = subscriptions.get(s, webhook_id)
        subscriptions.change(s, hook, body, allow=allow)
        audit.record_change(
            s,
            principal,
            "webhook.update",
            hook,
            object_type="webhook",
            data=subscriptions.audit_data(body),
        )
        return WebhookOut.model_validate(hook)

    return db.transaction(work)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, db: DbDep, principal: Admin) -> Response:
    """Unsubscribe: the subscription goes, with its deliveries and their attempts."""

    def work(s: Session) -> None:
        hook = subscriptions.get(s, webhook_id)
        audit.record_change(
            s, principal, "webhook.delete", hook, object_type="webhook", data={"url": hook.url}
        )
        s.delete(hook)

    db.transaction(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    webhook_id: uuid.UUID,
    db: DbDep,
    _principal: Admin,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """The subscription's deliveries, newest first, each with its attempts."""
    with db.session() as s:
        subscriptions.get(s, webhook_id)
        query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
        if status_ is not None:
            query = query.where(WebhookDelivery.status == status_)
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        order = (WebhookDelivery.created_at.desc(), WebhookDelivery.event_id.desc())
        rows = list(s.scalars(query.order_by(*order).limit(limit).offset(offset)))
        items = subscriptions.delivery_out(s, rows)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, db: DbDep, principal: Admin
) -> DeliveryOut:
    """Send a delivery again now (pending, failed or delivered; same `webhook-id`)."""

    def work(s: Session) -> DeliveryOut:
        hook = subscriptions.get(s, webhook_id)
        delivery = subscriptions.retry(s, hook, delivery_id)
        audit.record_change(
            s,
            principal,
            "webhook.retry",
            hook,
            object_type="webhook",
            data={"delivery_id": str(delivery_id)},
        )
        return subscriptions.delivery_out(s, [delivery])[0]

    return db.transaction(work)
