"""Tables of notifications: the contact directory and every message, sent or not."""

import uuid
from datetime import datetime, time

from sqlalchemy import Boolean, Index, Integer, String, Text, Time, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class Contact(Base):
    """通讯录 — how to reach one person: users come from tokens, their addresses are kept here.

    `roles` say which messages of their unit reach them (a unit's handlers, its head, a
    government's leaders, an office's staff); quiet hours (China time) hold back non-urgent ones.
    """

    __tablename__ = "contacts"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[list[str]] = mapped_column(Json, default=list)
    email: Mapped[str | None] = mapped_column(String(320))
    im_id: Mapped[str | None] = mapped_column(String(200))
    channels: Mapped[list[str]] = mapped_column(Json, default=list)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """通知 — one message to one person over one channel, about a matter or a rectification.

    Status: pending (to send at `next_attempt_at`), deferred (quiet hours), sent, failed (with
    the reason). A row without a recipient records that nobody could be reached.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_matter", "matter_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rectification_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean)
    recipient_unit: Mapped[str] = mapped_column(String(64), index=True)
    recipient_role: Mapped[str] = mapped_column(String(40))
    recipient_sub: Mapped[str | None] = mapped_column(String(255))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
