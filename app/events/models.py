"""The transactional outbox: one row per event, written in the transaction of the change."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import BigId, Json


class OutboxEvent(Base):
    """A CloudEvent of a committed change: it exists if and only if its change committed.

    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite, whose one writer commits
    in id order): readers order by (txid, id) and see only transactions older than every one
    still running, so an event that commits late is never skipped by a cursor.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_order", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("0"), default=None, nullable=False
    )
    # Indexed, not a unique key: on PostgreSQL the table is partitioned by blocks of `id`
    # (`app.partitions`), and a partitioned table's unique key must hold `id`. A random UUID
    # made by `emit`, never taken from input.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    # The units the event is about: readers see it when one of them is in their scope.
    units: Mapped[list[str]] = mapped_column(Json, default=list)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class OutboxEventUnit(Base):
    """One unit an event is about: a reader sees the event when one of its units is in scope."""

    __tablename__ = "outbox_event_units"
    __table_args__ = (Index("ix_outbox_event_units_unit", "unit_code", "event_row_id"),)

    event_row_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)


class EventConsumer(Base):
    """How far one consumer of the outbox (webhook dispatch, notifications) has read."""

    __tablename__ = "event_consumers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
