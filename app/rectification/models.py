"""Tables of rectification with a deadline (限期整改)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class Rectification(Base):
    """限期整改 — problems the office orders units to put right by a deadline (seed 三(三))."""

    __tablename__ = "rectifications"
    __table_args__ = (Index("ix_rectifications_status_light", "status", "light"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    problems: Mapped[list[str]] = mapped_column(Json, default=list)
    source_matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    source_activity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    source_bulletin_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    due: Mapped[date] = mapped_column(Date, index=True)
    verify_on_site: Mapped[bool] = mapped_column(Boolean, default=False)
    head_sign_off: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # rectifying | closed
    light: Mapped[str] = mapped_column(String(10))
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RectificationPart(Base):
    """One unit's part of a rectification: its plan, report and verification, an obligation
    with a light like any other (domain.md §7)."""

    __tablename__ = "rectification_parts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectifications.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    # plan | plan_sign_off | plan_review | rectifying | verifying | accepted
    status: Mapped[str] = mapped_column(String(20))
    plan: Mapped[dict[str, Any] | None] = mapped_column(Json)
    report: Mapped[dict[str, Any] | None] = mapped_column(Json)
    verification: Mapped[dict[str, Any] | None] = mapped_column(Json)
    plan_returns: Mapped[int] = mapped_column(Integer, default=0)
    send_backs: Mapped[int] = mapped_column(Integer, default=0)
    light: Mapped[str] = mapped_column(String(10))
    due: Mapped[date] = mapped_column(Date, index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(10))  # on_time | late
    days_late: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RectificationUrging(Base):
    """催办 / 督办 of a unit late with its rectification, with the notice text."""

    __tablename__ = "rectification_urgings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectifications.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectification_parts.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # remind | urge | escalate | escalate_leader
    notice: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RectificationEvent(Base):
    """The rectification's history: every step, light change and urging, in order."""

    __tablename__ = "rectification_events"
    __table_args__ = (Index("ix_rectification_events_rectification", "rectification_id", "id"),)

    # A sequence: entries of one step share their instant, the id keeps their order.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rectification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rectifications.id"))
    part_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)
