"""Supervision activities (督查活动): what a plan item or an approved proposal sets in motion.

An activity has a type (条例 Art. 14), a method (seed 四), target units and a period; the method's
own records (findings, opinions, evaluations, surveys, coverage) and attachments hang off it.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


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
    origin: Mapped[str] = mapped_column(String(20))  # plan | proposal | office
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
    # 督查组 (条例 Art. 8) and advance notice (Art. 12), as the office prepared the activity.
    preparation: Mapped[dict[str, Any] | None] = mapped_column(Json)
    concluded_by: Mapped[str | None] = mapped_column(String(255))
    evidence: Mapped[str | None] = mapped_column(Text)


class ActivityUnit(Base):
    """A unit taking part in an activity (owner, target, invitee, evaluator): what scoping reads."""

    __tablename__ = "activity_units"

    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Attachment(Base):
    """附件 — a file kept in the database, so that every service process serves the same bytes."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_unit: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Finding(Base):
    """督查发现 — what the office recorded: per target unit on site, per matter on a look back,
    the survey's analysis, the media summary."""

    __tablename__ = "activity_findings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    # on_site | look_back | survey_analysis | media_summary
    step: Mapped[str] = mapped_column(String(30))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[str] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    recorded_by: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LookBack(Base):
    """回头看 of one linked closed matter, run by the matter's own look-back process."""

    __tablename__ = "activity_look_backs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    instance_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(20))  # passed | failed
    findings: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str | None] = mapped_column(String(255))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InspectionOpinion(Base):
    """视察检查意见 — an invited NPC deputy's, CPPCC member's or counsellor's opinion."""

    __tablename__ = "inspection_opinions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    invitee: Mapped[str] = mapped_column(String(255))
    unit_code: Mapped[str] = mapped_column(String(64))
    opinion: Mapped[str] = mapped_column(Text)
    suggestions: Mapped[str | None] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evaluation(Base):
    """第三方评估 — one report and score (0–100) from the evaluator, accepted or sent back."""

    __tablename__ = "evaluations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    evaluator: Mapped[str | None] = mapped_column(String(255))
    unit_code: Mapped[str] = mapped_column(String(64))
    report: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    attachment_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))  # accepted | returned
    comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyImport(Base):
    """民意调查 — one imported CSV of questionnaire, phone or web answers."""

    __tablename__ = "survey_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list[str]] = mapped_column(Json, default=list)
    responses: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list, deferred=True)
    imported_by: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coverage(Base):
    """舆论监督 — one media report on the supervised work."""

    __tablename__ = "media_coverage"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    outlet: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    tone: Mapped[str] = mapped_column(String(20))  # positive | neutral | critical
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Objection(Base):
    """复核申请 (条例 Art. 17) — a target unit's objection to the conclusion, and the decision."""

    __tablename__ = "activity_objections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    applicant: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decide_due: Mapped[date] = mapped_column(Date)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | decided
    decision: Mapped[str | None] = mapped_column(String(20))  # upheld | amended | revoked
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
