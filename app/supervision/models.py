"""Tables of the supervision domain: matters, their assignments, deadlines, reports, urgings."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class Matter(Base):
    """督查事项 — one thing to be supervised, from registration (立项) to closure (销号)."""

    __tablename__ = "matters"
    __table_args__ = (
        Index("ix_matters_status_light", "status", "light"),
        Index("ix_matters_lead_unit", "lead_unit"),
        Index("ix_matters_final_due", "final_due"),
        Index("ix_matters_created", "created_at", "id"),  # the list's order
        # Open work only (partial): the overdue list and counts read open matters, however
        # many closed ones the years keep.
        Index(
            "ix_matters_open_created",
            "created_at",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # What the dashboard's summary does not hold (open, or closed since its last refresh),
        # and what left it since (changed after it was counted): both few, whatever the years.
        Index(
            "ix_matters_untallied",
            "id",
            postgresql_where=text("NOT tallied"),
            sqlite_where=text("NOT tallied"),
        ),
        Index(
            "ix_matters_left_tally",
            "id",
            postgresql_where=text("NOT tallied AND tallied_as IS NOT NULL"),
            sqlite_where=text("NOT tallied AND tallied_as IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), index=True)
    source_type: Mapped[str] = mapped_column(String(40), index=True)
    source_ref: Mapped[str | None] = mapped_column(String(500))
    lead_unit: Mapped[str] = mapped_column(String(64))
    co_units: Mapped[list[str]] = mapped_column(Json, default=list)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    assigned_on: Mapped[date] = mapped_column(Date)
    final_due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    light: Mapped[str] = mapped_column(String(10))
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id"), index=True)
    complex_npc: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfaction: Mapped[str | None] = mapped_column(String(30))
    close_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The dashboard's summary (app.supervision.tally): `tallied` — this closed matter is counted
    # in `matter_tally`, as `tallied_as` says (its groups and the scopes that see it). A change
    # of a tallied matter clears `tallied` in the same flush; `tallied_as` stays until the next
    # refresh takes the matter out of the summary, so readers subtract it meanwhile.
    tallied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    tallied_as: Mapped[dict[str, Any] | None] = mapped_column(Json)


class MatterTally(Base):
    """督查看板 summary: closed matters counted per scope that sees them and per group of one
    dimension (light, status, category, source, lead unit, month), by category. Kept by
    `app.supervision.tally.refresh`; the dashboard adds what it does not hold, counted live."""

    __tablename__ = "matter_tally"

    scope_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class MatterTallyState(Base):
    """The summary's one state row: when it was last refreshed, and the unit tree it was built
    on (a moved unit changes which scopes see a matter: the summary is then built anew)."""

    __tablename__ = "matter_tally_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    units_fingerprint: Mapped[str | None] = mapped_column(String(64))


class MatterUnit(Base):
    """A unit through which a matter is read: its owner (the office that registered it) and every
    unit it was ever assigned to (domain.md §8). The scope of every matter read is one indexed
    semi-join on this relation (`queries.readable_clause`) instead of an `OR` of the owner and a
    subquery of assignments, which no index serves. Kept with the matter and its assignments
    (`app.supervision.reach`), never removed.

    `open` mirrors the matter's status (not closed), kept in the flush that closes or reopens it:
    a unit's open matters are their own index, however many closed ones the years add (the
    overdue list reads a unit's open matters, not every matter it ever read)."""

    __tablename__ = "matter_units"
    __table_args__ = (
        Index("ix_matter_units_unit_matter", "unit_code", "matter_id"),
        Index(
            "ix_matter_units_open",
            "unit_code",
            "matter_id",
            postgresql_where=text("open"),
            sqlite_where=text("open"),
        ),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)


class Assignment(Base):
    """交办 — a unit's part of a matter: receipt (签收/退回), completion and review, kept apart."""

    __tablename__ = "assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(10))  # lead | co
    receipt: Mapped[str] = mapped_column(String(20))  # pending | signed | returned | reassigned
    sign_due: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    review: Mapped[str] = mapped_column(String(20), default="pending")  # pending|passed|sent_back
    timeliness: Mapped[str | None] = mapped_column(String(10))
    quality: Mapped[str | None] = mapped_column(String(10))
    evaluation_comment: Mapped[str | None] = mapped_column(Text)


class MatterDeadline(Base):
    """A deadline of a matter (seed 三(一)), with its rule and basis; closed on time or late."""

    __tablename__ = "matter_deadlines"
    # Loading a year's schedule looks up the open deadlines decided on a provisional calendar.
    __table_args__ = (
        Index("ix_matter_deadlines_calendar_basis", "calendar_basis"),
        # Open deadlines only (partial): what can be red by the clock.
        Index(
            "ix_matter_deadlines_open",
            "matter_id",
            "due",
            postgresql_where=text("done_on IS NULL"),
            sqlite_where=text("done_on IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    due: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(String(20))
    calendar_basis: Mapped[str] = mapped_column(String(20))  # official | loaded | provisional
    rolled_from: Mapped[date | None] = mapped_column(Date)
    nominal_due: Mapped[date | None] = mapped_column(Date)  # before rolling; None: a given date
    original_due: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(10))  # on_time | late
    days_late: Mapped[int | None] = mapped_column(Integer)
    light: Mapped[str] = mapped_column(String(10), default="green")


class ProgressReport(Base):
    """进度报告 — what a unit reported, by which deadline."""

    __tablename__ = "progress_reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # progress | co_report | final
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    submitted_by: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    on_time: Mapped[bool] = mapped_column(Boolean)


class Urging(Base):
    """催办 / 督办 — a reminder, urging notice or escalation to a unit, with its notice text."""

    __tablename__ = "urgings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # remind | urge | escalate | sign_overdue
    notice: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ExtensionRequest(Base):
    """延期申请 — a unit's request, filed before the deadline, and the office's decision."""

    __tablename__ = "extension_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    deadline_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    requested_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending | approved | rejected
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)


class TimelineEntry(Base):
    """The matter's timeline: every step, light change, urging and decision, in order."""

    __tablename__ = "matter_timeline"
    __table_args__ = (Index("ix_matter_timeline_matter", "matter_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)


class HolidaySchedule(Base):
    """A year's official holiday schedule (国务院办公厅节假日安排), loaded by an admin when the
    State Council publishes it; it overrides the calendar library for that year."""

    __tablename__ = "holiday_schedules"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list[str]] = mapped_column(Json)
    workdays: Mapped[list[str]] = mapped_column(Json)
    source: Mapped[str] = mapped_column(String(500))
    loaded_by: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
