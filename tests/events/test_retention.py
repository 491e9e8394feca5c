"""Retention (issue: years of data): what expired and nobody needs is removed by the retention
worker's round; what is still needed, or what the seed requires to be traceable, stays."""

from datetime import timedelta

from sqlalchemy import func, select, update
from webhook_rows import delivery, hook

from app.events.models import EventConsumer, OutboxEvent, OutboxEventUnit
from app.events.outbox import emit
from app.events.retention import Retention
from app.identity.models import AuditRecord
from app.kit.clock import clock
from app.notifications.models import Notification
from app.webhooks.models import WebhookAttempt, WebhookDelivery


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _events(db, n: int) -> list[int]:
    def work(s):
        for i in range(n):
            emit(s, "test.happened", subject=f"s{i}", data={"i": i}, units=["320000-DCS"])

    db.transaction(work)
    with db.session() as s:
        return list(s.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))[-n:]


def _notification(status: str, at) -> Notification:
    return Notification(
        event_type="ducha.test.happened",
        unit_code="320000-DCS",
        kind="assignment",
        urgent=False,
        recipient_unit="320000-DCS",
        recipient_role="unit_handler",
        subject="s",
        body="b",
        status=status,
        created_at=at,
        sent_at=at if status == "sent" else None,
    )


def test_expired_events_deliveries_and_messages_go_and_the_needed_ones_stay(client):
    db, settings = client.app.state.db, client.app.state.settings
    now, old = clock.now(), clock.now() - timedelta(days=settings.outbox_retention_days + 1)
    audit_rows = _count(db, AuditRecord)
    ids = _events(db, 6)  # 0-3 old, passed by both consumers except 3; 4-5 recent
    with db.session() as s:
        s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids[:4])).values(time=old))
        txid = s.scalar(select(OutboxEvent.txid).where(OutboxEvent.id == ids[2]))
        newest_txid = s.scalar(select(OutboxEvent.txid).where(OutboxEvent.id == ids[5]))
        s.add(EventConsumer(name="webhooks", txid=newest_txid, last_id=ids[5]))
        s.add(EventConsumer(name="notifications", txid=txid, last_id=ids[2]))  # the slowest
        subscription = hook(s, now)
        delivery(s, subscription, ids[1], "pending", old)  # a delivery still to make keeps 1
        gone = delivery(s, subscription, ids[0], "delivered", old)
        kept = delivery(s, subscription, ids[4], "delivered", now)
        s.add_all([_notification("sent", old), _notification("failed", old)])
        s.add(_notification("sent", now))

    removed = Retention(db, settings).round()

    with db.session() as s:
        left = set(s.scalars(select(OutboxEvent.id).where(OutboxEvent.id.in_(ids))))
        units = set(s.scalars(select(OutboxEventUnit.event_row_id)))
        deliveries = set(s.scalars(select(WebhookDelivery.id)))
        attempts = set(s.scalars(select(WebhookAttempt.delivery_id)))
        messages = sorted(
            (n.status, n.sent_at is not None) for n in s.scalars(select(Notification))
        )
    # event 0 (old, passed, delivered) and 2 (old, passed) go; 1 waits for its delivery, 3 for
    # the slowest consumer, 4-5 are recent
    assert left == {ids[1], ids[3], ids[4], ids[5]}
    assert units.isdisjoint({ids[0], ids[2]})  # their units went with them
    assert gone.id not in deliveries and kept.id in deliveries
    assert gone.id not in attempts and kept.id in attempts
    assert messages == [("failed", False), ("sent", True)]  # the old sent message went
    assert removed == 2 + 1  # two events (the delivered delivery went with event 0), a message
    assert _count(db, AuditRecord) == audit_rows  # the audit trail is never touched
    assert Retention(db, settings).round() == 0  # nothing more is due


def test_a_window_of_zero_keeps_everything(client):
    db = client.app.state.db
    settings = client.app.state.settings.model_copy(
        update={"outbox_retention_days": 0, "delivered_retention_days": 0}
    )
    ids = _events(db, 2)
    with db.session() as s:
        old = clock.now() - timedelta(days=10_000)
        s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(time=old))
        s.add(_notification("sent", old))
    assert Retention(db, settings).round() == 0
    assert _count(db, Notification) == 1
