"""Subscriptions (事件订阅): validate, create, change, delete; deliveries and their retry."""

import base64
import binascii
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.events.catalogue import TYPES
from app.events.models import OutboxEvent
from app.events.outbox import PREFIX
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData, NotFound
from app.kit.shared import Page
from app.org.models import Unit
from app.webhooks.guard import AllowList, Refused, admit
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryStatus,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

SECRET_PREFIX = "whsec_"

EVENT_TYPES = frozenset(TYPES)
FAMILIES = frozenset(t.split(".", 1)[0] for t in EVENT_TYPES)


class DeliveryInFlight(DomainError):
    status, code = 409, "delivery_in_flight"


class WebhookInactive(DomainError):
    status, code = 409, "webhook_inactive"


def generate_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """A given secret, or 422: `whsec_` and the base64 of 24 to 64 bytes."""
    error = InvalidData(
        "the secret must be whsec_ followed by the base64 of 24 to 64 random bytes",
        errors=[{"field": "secret", "message": "not a whsec_ secret of 24 to 64 bytes"}],
    )
    if not secret.startswith(SECRET_PREFIX):
        raise error
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error from exc
    if not 24 <= len(key) <= 64:
        raise error
    return secret


def normalise_types(types: list[str]) -> list[str]:
    """Full type names (`ducha.` added), families (`ducha.matter.*`) or `*`; 422 for others."""
    out: list[str] = []
    errors = []
    for index, raw in enumerate(types):
        name = raw.strip().removeprefix(PREFIX)
        if name == "*":
            full = "*"
        elif name in EVENT_TYPES or (name.endswith(".*") and name[:-2] in FAMILIES):
            full = PREFIX + name
        else:
            errors.append({"field": f"event_types.{index}", "message": f"unknown type '{raw}'"})
            continue
        if full not in out:
            out.append(full)
    if errors:
        raise InvalidData("unknown event types", errors=errors)
    return ["*"] if "*" in out else out


def check_units(session: Session, codes: list[str]) -> list[str]:
    """The scope's unit codes, each an existing unit; 422 naming the unknown ones."""
    unique = list(dict.fromkeys(c.strip() for c in codes))
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(unique))))
    errors = [
        {"field": f"unit_scope.{i}", "message": f"no unit '{code}'"}
        for i, code in enumerate(unique)
        if code not in known
    ]
    if errors:
        raise InvalidData("unknown units in the scope", errors=errors)
    return unique


def check_url(url: str, allow: AllowList) -> str:
    """The URL, when the outbound guard lets it through; 422 naming `url` otherwise."""
    try:
        admit(url, allow)
    except Refused as exc:
        raise InvalidData(
            f"the URL is not allowed: {exc}", errors=[{"field": "url", "message": str(exc)}]
        ) from exc
    return url


def create(session: Session, body: WebhookIn, *, allow: AllowList, actor: str) -> Webhook:
    """Subscribe: only events emitted after this moment are delivered to it."""
    now = clock.now()
    newest = session.scalar(select(func.max(OutboxEvent.id))) or 0
    webhook = Webhook(
        id=uuid.uuid4(),
        url=check_url(body.url, allow),
        event_types=normalise_types(body.event_types),
        unit_scope=check_units(session, body.unit_scope),
        secret=check_secret(body.secret) if body.secret is not None else generate_secret(),
        active=body.active,
        description=body.description,
        after_event=newest,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    session.flush()
    return webhook


def get(session: Session, webhook_id: uuid.UUID) -> Webhook:
    """One subscription, or 404."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


def change(session: Session, webhook: Webhook, patch: WebhookPatch, *, allow: AllowList) -> None:
    """Apply the fields given; each is checked as on creation."""
    if patch.url is not None:
        webhook.url = check_url(patch.url, allow)
    if patch.event_types is not None:
        webhook.event_types = normalise_types(patch.event_types)
    if patch.unit_scope is not None:
        webhook.unit_scope = check_units(session, patch.unit_scope)
    if patch.secret is not None:
        webhook.secret = check_secret(patch.secret)
    if patch.active is not None:
        webhook.active = patch.active
    if "description" in patch.model_fields_set:
        webhook.description = patch.description
    webhook.updated_at = clock.now()


def audit_data(body: WebhookIn | WebhookPatch) -> dict[str, Any]:
    """What an audit row keeps of a request: everything but the secret's value."""
    data = body.model_dump(mode="json", exclude_unset=True)
    if data.get("secret") is not None:
        data["secret"] = "(given)"
    return data


def retry(session: Session, webhook: Webhook, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue a delivery again now, whatever its status; 409 while a worker is sending it."""
    delivery = _delivery(session, webhook, delivery_id, lock=True)
    if not webhook.active:
        raise WebhookInactive("the webhook is inactive: activate it first")
    now = clock.now()
    if delivery.locked_until is not None and delivery.locked_until > now:
        raise DeliveryInFlight("a worker is sending this delivery now; try again shortly")
    delivery.status, delivery.tries, delivery.next_attempt_at = "pending", 0, now
    delivery.locked_by = delivery.locked_until = None
    return delivery


def _delivery(
    session: Session, webhook: Webhook, delivery_id: uuid.UUID, *, lock: bool = False
) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=lock)
    if delivery is None or delivery.subscription_id != webhook.id:
        raise NotFound(f"no delivery {delivery_id} of webhook {webhook.id}")
    return delivery


def delivery_out(session: Session, deliveries: list[WebhookDelivery]) -> list[DeliveryOut]:
    """Deliveries with their attempts, one query for all the attempts."""
    ids = [d.id for d in deliveries]
    attempts: dict[uuid.UUID, list[AttemptOut]] = {i: [] for i in ids}
    rows = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(ids))
        .order_by(WebhookAttempt.id)
    )
    for row in rows:
        attempts[row.delivery_id].append(AttemptOut.model_validate(row))
    return [
        DeliveryOut.model_validate(d).model_copy(update={"attempt_log": attempts[d.id]})
        for d in deliveries
    ]


def webhooks_page(
    session: Session, *, active: bool | None, limit: int, offset: int
) -> Page[WebhookOut]:
    """Subscriptions, newest first (secrets masked), all or only the (in)active ones."""
    query = select(Webhook)
    if active is not None:
        query = query.where(Webhook.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Webhook.created_at.desc()).limit(limit).offset(offset))
    items = [WebhookOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def deliveries_page(
    session: Session,
    webhook: Webhook,
    *,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> Page[DeliveryOut]:
    """The subscription's deliveries, newest first, each with its attempts."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (WebhookDelivery.created_at.desc(), WebhookDelivery.event_id.desc())
    rows = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    items = delivery_out(session, rows)
    return Page(items=items, total=total, limit=limit, offset=offset)
