"""Results of supervision (seed 三(二)–(四)): bulletins, supervision reports, accountability."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class Bulletin(Base):
    """通报 — commendation of outstanding units and criticism of slow or ineffective ones."""

    __tablename__ = "bulletins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    # units the issued bulletin goes to (its scope)
    recipients: Mapped[list[str]] = mapped_column(Json, default=list)
    # drafting | reviewing | approving | approved | issued | rejected | withdrawn
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 文号, given when the bulletin is issued (印发)
    doc_number: Mapped[str | None] = mapped_column(String(60))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the last comment of a return (退回意见) or rejection
    comment: Mapped[str | None] = mapped_column(Text)


class BulletinEntry(Base):
    """One unit named in a bulletin: commended or criticised, for which matters and why."""

    __tablename__ = "bulletin_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bulletin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bulletins.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(20))  # commend | criticise
    reason: Mapped[str] = mapped_column(Text)
    matter_ids: Mapped[list[str]] = mapped_column(Json, default=list)


class SupervisionReport(Base):
    """督查报告 / 专报 — situation, analysis and recommendations for the government's leaders
    (seed 三(二), 三(四)); a leader reads a special report (专报) and may instruct (批示) on it."""

    __tablename__ = "supervision_reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # report | special
    title: Mapped[str] = mapped_column(String(500))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    recipients: Mapped[list[str]] = mapped_column(Json, default=list)
    matter_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    activity_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    situation: Mapped[str] = mapped_column(Text)  # 情况
    analysis: Mapped[str] = mapped_column(Text)  # 分析
    recommendations: Mapped[str] = mapped_column(Text)  # 建议
    # the matters' table as assembled: code, title, lead unit, status, light, due
    matter_rows: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # drafting | reviewing | with_leader | approved | withdrawn
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    doc_number: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    instruction: Mapped[str | None] = mapped_column(Text)  # 领导批示
    instructed_by: Mapped[str | None] = mapped_column(String(255))
    instructed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountabilityCase(Base):
    """问责 — criticism, admonitory talk, accountability decision or transfer of clues to the
    supervisory authority (seed 三(三); 条例 Art. 21 approval, Art. 23 transfer)."""

    __tablename__ = "accountability_cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # criticism | admonitory_talk | accountability_decision | clue_transfer
    measure: Mapped[str] = mapped_column(String(30), index=True)
    unit_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    persons: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    matter_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    facts: Mapped[str] = mapped_column(Text)  # 事实
    basis: Mapped[str] = mapped_column(Text)  # 依据
    proposal: Mapped[str] = mapped_column(Text)  # 处理建议 / 决定
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    # drafting | reviewing | approving | decided | transferred | rejected | withdrawn
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    doc_number: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 条例 Art. 23: the supervisory authority (监察机关) the clues went to, and when
    receiving_authority: Mapped[str | None] = mapped_column(String(255))
    transferred_on: Mapped[date | None] = mapped_column(Date)


class ResultRecipient(Base):
    """A unit a published result reaches (recipients and named units): it may read it."""

    __tablename__ = "result_recipients"
    __table_args__ = (Index("ix_result_recipients_unit", "object_type", "unit_code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    object_type: Mapped[str] = mapped_column(String(20))  # bulletin | report | accountability
    object_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
