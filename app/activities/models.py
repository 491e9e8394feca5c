"""Supervision activities (督查活动): what a plan item or an approved proposal sets in motion.

An activity has a type (条例 Art. 14), a method (seed 四), target units and a period; the method's
own records (findings, opinions, evaluations, surveys, coverage) and attachments hang off it.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.engine.models import Json


class Activity(Base):
    """督查活动 — one round of supervision with its method, targets and period."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_period", "period_start", "period_end"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text, default="")
    # comprehensive | special | investigation | follow_up | lead_verification (条例 Art. 14)
    kind: Mapped[str] = mapped_column(String(30))
    # on_site | look_back | invited_inspection | third_party | survey | media (seed 四)
    method: Mapped[str] = mapped_column(String(30), index=True)
    category: Mapped[str | None] = mapped_column(String(40))
    target_units: Mapped[list[str]] = mapped_column(Json, default=list)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    division_unit: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(20))  # plan | proposal
    plan_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    matter_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    # planned | in_progress | concluded | cancelled
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    conclusion: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
