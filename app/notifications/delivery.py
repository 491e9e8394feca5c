"""Sending due messages: leased rows (SKIP LOCKED on PostgreSQL), quiet hours, retries.

A worker takes a batch of due rows under a lease, sends each outside any transaction, and records
the outcome only if it still holds the row: sent; failed for good (a permanent error, or the last
attempt); or pending again after a back-off that doubles (5 attempts ≈ 1 hour by default). A
worker that dies mid-send loses its lease and the row is sent again by another.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.kit.clock import clock
from app.notifications import messages, rules
from app.notifications.channels import Channel, ChannelError, Outgoing
from app.notifications.models import Contact, Notification

DUE = ("pending", "deferred")


@dataclass(frozen=True)
class Sender:
    """A delivery worker's identity, channels and retry settings."""

    owner: str
    channels: dict[str, Channel]
    lease: timedelta
    batch: int
    max_attempts: int
    retry_seconds: float

    @classmethod
    def from_settings(cls, owner: str, channels: dict[str, Channel], s: Settings) -> "Sender":
        return cls(
            owner=owner,
            channels=channels,
            lease=timedelta(seconds=s.notifications_lease_seconds),
            batch=s.notifications_batch_size,
            max_attempts=s.notifications_max_attempts,
            retry_seconds=s.notifications_retry_seconds,
        )


def deliver_due(db: Database, sender: Sender) -> int:
    """One round: take the due messages and send them; returns how many were attempted."""
    taken = db.transaction(lambda s: _acquire(s, sender, postgres=not db.is_sqlite))
    for notification_id in taken:
        outgoing = db.transaction(partial(_prepare, sender=sender, notification_id=notification_id))
        if outgoing is None:
            continue
        error = _send(sender, *outgoing)
        db.transaction(
            partial(_settle, sender=sender, notification_id=notification_id, error=error)
        )
    return len(taken)


def _acquire(session: Session, sender: Sender, *, postgres: bool) -> list[uuid.UUID]:
    now = clock.now()
    query = (
        select(Notification.id)
        .where(
            Notification.status.in_(DUE),
            Notification.next_attempt_at <= now,
            or_(Notification.locked_until.is_(None), Notification.locked_until < now),
        )
        .order_by(Notification.next_attempt_at)
        .limit(sender.batch)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(locked_by=sender.owner, locked_until=now + sender.lease)
        )
    return ids


def _prepare(
    session: Session, *, sender: Sender, notification_id: uuid.UUID
) -> tuple[str | None, Outgoing] | None:
    """The message to send now, or None: held by quiet hours (deferred), or no longer ours."""
    row = session.get(Notification, notification_id)
    if row is None or row.locked_by != sender.owner or row.status not in DUE:
        return None
    if not row.urgent and row.recipient_sub:
        contact = session.get(Contact, row.recipient_sub)
        held = contact and rules.quiet_until(clock.now(), contact.quiet_start, contact.quiet_end)
        if held:
            row.status, row.next_attempt_at = "deferred", held
            row.locked_by = row.locked_until = None
            return None
    outgoing = Outgoing(
        id=str(row.id),
        address=row.address or "",
        recipient_name=row.recipient_name or "",
        subject=row.subject,
        body=row.body,
    )
    return row.channel, outgoing


def _send(sender: Sender, channel_name: str | None, outgoing: Outgoing) -> ChannelError | None:
    channel = sender.channels.get(channel_name or "")
    if channel is None:
        return ChannelError(f"channel '{channel_name}' is not configured", permanent=True)
    try:
        channel.send(outgoing)
    except ChannelError as exc:
        return exc
    return None


def _settle(
    session: Session, *, sender: Sender, notification_id: uuid.UUID, error: ChannelError | None
) -> None:
    row = session.get(Notification, notification_id)
    if row is None or row.locked_by != sender.owner:
        return  # the lease ran out and another worker has it
    now = clock.now()
    row.attempts += 1
    row.locked_by = row.locked_until = None
    if error is None:
        row.status, row.sent_at, row.next_attempt_at = "sent", now, None
        messages.record(session, row)
        return
    row.last_error = str(error)[:2000]
    if error.permanent or row.attempts >= sender.max_attempts:
        row.status, row.next_attempt_at = "failed", None
        messages.record(session, row)
        return
    row.status = "pending"
    row.next_attempt_at = rules.retry_at(now, row.attempts, sender.retry_seconds)
