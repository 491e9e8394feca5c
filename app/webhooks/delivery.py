"""Dispatch events to subscriptions, and deliver them: at least once, one worker at a time.

Dispatch reads the outbox as the consumer `webhooks` and adds one delivery per matching active
subscription, in the transaction that advances its cursor. Delivery takes due deliveries under a
lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL), commits, POSTs each one without any
database transaction open, then records the attempt in a new transaction. A worker that dies
after taking a delivery leaves it to be taken again when the lease runs out: the receiver may
get it twice, always with the same `webhook-id`.
"""

import json
import logging
import os
import random
import socket
import ssl
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.events.models import OutboxEvent
from app.events.outbox import cloudevent, consume, skip_to_settled
from app.kit.clock import clock
from app.org import service as units
from app.webhooks.guard import AllowList, Refused, admit
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.rules import backoff, in_scope, wants_type
from app.webhooks.sender import Answer, post, signed_headers

log = logging.getLogger(__name__)

CONSUMER = "webhooks"


class Dispatcher:
    """Turns new outbox events into deliveries for the subscriptions that want them."""

    def __init__(self, db: Database, on_new: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_new = on_new  # wakes the delivery worker once new deliveries are committed

    def round(self) -> int:
        """Dispatch the next batch of events; how many events were read.

        With no active subscription there is nobody to dispatch to: the cursor moves past the
        settled events without loading them (a busy service writes hundreds a second).
        """
        if skip_to_settled(self.db, CONSUMER, _no_subscription):
            return 0
        return consume(self.db, CONSUMER, self.dispatch)

    def dispatch(self, session: Session, events: list[OutboxEvent]) -> None:
        hooks = list(session.scalars(select(Webhook).where(Webhook.active.is_(True))))
        if not hooks:
            return
        paths: dict[str, str | None] = {}

        def path(code: str) -> str | None:
            if code not in paths:
                paths[code] = units.path_of(session, code)
            return paths[code]

        scopes = {h.id: [p for c in h.unit_scope if (p := path(c))] for h in hooks}
        now = clock.now()
        added = 0
        for event in events:
            event_paths = [p for c in event.units if (p := path(c))]
            for hook in hooks:
                if event.id <= hook.after_event or not wants_type(hook.event_types, event.type):
                    continue
                if hook.unit_scope and not in_scope(scopes[hook.id], event_paths):
                    continue
                session.add(
                    WebhookDelivery(
                        id=uuid.uuid4(),
                        subscription_id=hook.id,
                        event_id=event.id,
                        webhook_id=str(event.event_id),
                        event_type=event.type,
                        status="pending",
                        attempts=0,
                        tries=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                added += 1
        if added and self.on_new is not None:
            self.db.after_commit(self.on_new)


def _no_subscription(session: Session) -> bool:
    return session.scalar(select(Webhook.id).where(Webhook.active.is_(True)).limit(1)) is None


@dataclass(frozen=True)
class Parcel:
    """A taken delivery: everything needed to send it without the database."""

    delivery_id: uuid.UUID
    url: str
    secret: str
    webhook_id: str
    body: str


class Deliverer:
    """Sends due deliveries; several may run, in threads or processes, on one database."""

    def __init__(self, db: Database, settings: Settings, owner: str | None = None) -> None:
        self.db = db
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.allow = AllowList.parse(settings.webhook_allowed_networks)
        self.schedule = list(settings.webhook_retry_schedule_seconds)
        self.batch = settings.webhook_batch_size
        self.connect_timeout = settings.webhook_connect_timeout_seconds
        self.read_timeout = settings.webhook_read_timeout_seconds
        # The lease must outlast one attempt, or another worker would send it again meanwhile.
        floor = self.connect_timeout + self.read_timeout + 10
        self.lease = timedelta(seconds=max(settings.webhook_lease_seconds, floor))
        ca = settings.webhook_ca_file
        self.tls = ssl.create_default_context(cafile=str(ca) if ca else None)
        self.random = random.SystemRandom()

    def round(self) -> int:
        """Take up to a batch of due deliveries and send them in parallel; how many were sent."""
        parcels = self.db.transaction(self.take)
        if len(parcels) == 1:
            self.deliver(parcels[0])
        elif parcels:
            with ThreadPoolExecutor(len(parcels), thread_name_prefix="ducha-webhook") as pool:
                list(pool.map(self.deliver, parcels))
        return len(parcels)

    def take(self, session: Session) -> list[Parcel]:
        """Lease the due deliveries no other worker holds (the short first transaction)."""
        now = clock.now()
        query = (
            select(WebhookDelivery, Webhook, OutboxEvent)
            .join(Webhook, Webhook.id == WebhookDelivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
                Webhook.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(self.batch)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        rows = session.execute(query).all()
        if not rows:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([d.id for d, _, _ in rows]))
            .values(locked_by=self.owner, locked_until=now + self.lease)
        )
        return [
            Parcel(d.id, hook.url, hook.secret, d.webhook_id, _json(cloudevent(event)))
            for d, hook, event in rows
        ]

    def deliver(self, parcel: Parcel) -> Answer:
        """Send one taken delivery, then record the attempt (the second transaction)."""
        answer = self.send(parcel)
        self.db.transaction(lambda s: self.record(s, parcel, answer))
        return answer

    def send(self, parcel: Parcel) -> Answer:
        """The HTTP call, with no transaction open; the guard is asked again every time."""
        try:
            target = admit(parcel.url, self.allow)
        except Refused as exc:
            return Answer(None, 0, f"refused by the outbound guard: {exc}")
        headers = signed_headers(parcel.secret, parcel.webhook_id, parcel.body, target.host_header)
        return post(
            target,
            parcel.body.encode(),
            headers,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            tls=self.tls,
        )

    def record(self, session: Session, parcel: Parcel, answer: Answer) -> None:
        """Keep the attempt; settle the delivery unless another worker has taken it since."""
        delivery = session.get(WebhookDelivery, parcel.delivery_id, with_for_update=True)
        if delivery is None:
            return  # its webhook was deleted meanwhile
        now = clock.now()
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                at=now,
                status="delivered" if answer.delivered else "failed",
                response_code=answer.status_code,
                duration_ms=answer.duration_ms,
                error=answer.error,
                response_excerpt=answer.excerpt,
                worker=self.owner,
            )
        )
        if delivery.locked_by != self.owner:
            return  # our lease ran out and another worker holds it: its attempt decides
        delivery.attempts += 1
        delivery.tries += 1
        delivery.locked_by = delivery.locked_until = None
        delivery.last_status_code = answer.status_code
        delivery.last_error = answer.error
        if answer.delivered:
            delivery.status, delivery.delivered_at = "delivered", now
            delivery.next_attempt_at = None
        elif delivery.tries > len(self.schedule):
            delivery.status, delivery.next_attempt_at = "failed", None
            log.warning("webhook delivery %s failed for good: %s", delivery.id, answer.error)
        else:
            wait = backoff(delivery.tries, self.schedule, self.random.random())
            delivery.next_attempt_at = now + timedelta(seconds=wait)


def _json(body: object) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
