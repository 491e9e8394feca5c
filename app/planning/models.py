"""Tables of planning: the annual supervision plan, its items, and unplanned activity proposals."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import BigId, Json


class AnnualPlan(Base):
    """年度督查计划 — the office's plan for the year around the government's central work,
    approved by the government's principal leader (seed 二(一))."""

    __tablename__ = "annual_plans"
    # One plan per office and year: a returned plan is revised, not replaced.
    __table_args__ = (UniqueConstraint("owner_unit", "year", name="uq_annual_plans_owner_year"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    basis: Mapped[str] = mapped_column(Text, default="")  # 政府中心工作
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)  # the supervision office
    leader_unit: Mapped[str] = mapped_column(String(64))  # the government whose leader approves
    # drafting | reviewing | approving | returned | approved
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    remind_after_days: Mapped[int] = mapped_column(Integer)
    returned_comment: Mapped[str | None] = mapped_column(Text)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlanItem(Base):
    """计划事项 — one line of the plan: a matter to register or an activity to run."""

    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "seq", name="uq_plan_items_plan_seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("annual_plans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    item_type: Mapped[str] = mapped_column(String(20))  # matter | activity
    # activities: comprehensive | special | investigation | follow_up | lead_verification
    activity_kind: Mapped[str | None] = mapped_column(String(30))
    method: Mapped[str | None] = mapped_column(String(30))
    target_units: Mapped[list[str]] = mapped_column(Json, default=list)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # matters: where it comes from and who does it
    source_type: Mapped[str | None] = mapped_column(String(40))
    lead_unit: Mapped[str | None] = mapped_column(String(64))
    co_units: Mapped[list[str]] = mapped_column(Json, default=list)
    division_unit: Mapped[str | None] = mapped_column(String(64))
    explicit_due: Mapped[date | None] = mapped_column(Date)
    # what the approved item became
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    activity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ActivityProposal(Base):
    """计划外督查事项报审 — supervision in the government's name outside the plan, sent by a
    business division to the office for review before approval (seed 二(一))."""

    __tablename__ = "activity_proposals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    method: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(40))
    target_units: Mapped[list[str]] = mapped_column(Json, default=list)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    division_unit: Mapped[str] = mapped_column(String(64), index=True)  # who proposes
    office_unit: Mapped[str] = mapped_column(String(64), index=True)  # who reviews
    leader_unit: Mapped[str] = mapped_column(String(64))  # whose leader approves
    # reviewing | approving | approved | merged | rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    overlaps: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)  # at submission
    review_decision: Mapped[str | None] = mapped_column(String(20))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    activity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlanningEvent(Base):
    """The history of a plan or a proposal: submissions, returns with comments, reminders,
    decisions, what was created (in Chinese for officials)."""

    __tablename__ = "planning_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)
