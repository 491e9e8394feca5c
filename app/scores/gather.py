"""Gather what each unit did in a period from the records, as `rules.UnitFacts`.

Reads matters (reports, deadlines, extensions, urgings, review send-backs, satisfaction),
rectification parts and their urgings, and the entries of bulletins issued in the period.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kit.timezone import CHINA
from app.rectification.models import Rectification, RectificationPart, RectificationUrging
from app.results.models import Bulletin, BulletinEntry
from app.scores.rules import UnitFacts
from app.supervision.models import (
    ExtensionRequest,
    Matter,
    ProgressReport,
    TimelineEntry,
    Urging,
)

URGING_KINDS = ("urge", "escalate", "escalate_leader", "sign_overdue")  # reminders are no fault
PROPOSAL_SOURCES = ("npc_suggestion", "cppcc_proposal")


@dataclass(frozen=True)
class Period:
    """A scoring period: whole days in China, both ends included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), CHINA)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), CHINA)


class Facts:
    """Facts per unit, created on first mention."""

    def __init__(self) -> None:
        self.units: dict[str, UnitFacts] = {}

    def of(self, unit: str) -> UnitFacts:
        return self.units.setdefault(unit, UnitFacts(unit_code=unit))


def gather(session: Session, period: Period, today: date) -> dict[str, UnitFacts]:
    """Every unit mentioned by a record of the period, with its facts."""
    facts = Facts()
    _reports(session, period, facts)
    _closures(session, period, facts)
    _extensions(session, period, facts)
    _urgings(session, period, facts)
    _rejections(session, period, facts)
    _rectifications(session, period, today, facts)
    _bulletins(session, period, facts)
    _satisfaction(session, period, facts)
    return facts.units


def _reports(session: Session, period: Period, facts: Facts) -> None:
    rows = session.execute(
        select(ProgressReport.unit_code, Matter.code, ProgressReport.on_time)
        .join(Matter, Matter.id == ProgressReport.matter_id)
        .where(
            ProgressReport.submitted_at >= period.since, ProgressReport.submitted_at < period.until
        )
        .order_by(ProgressReport.submitted_at)
    )
    for unit, code, on_time in rows:
        facts.of(unit).reports.append((code, bool(on_time)))


def _closures(session: Session, period: Period, facts: Facts) -> None:
    rows = session.execute(
        select(Matter.lead_unit, Matter.code, Matter.status)
        .where(Matter.final_due >= period.start, Matter.final_due <= period.end)
        .order_by(Matter.code)
    )
    for unit, code, status in rows:
        facts.of(unit).closures.append((code, status == "closed"))


def _extensions(session: Session, period: Period, facts: Facts) -> None:
    rows = session.execute(
        select(ExtensionRequest.unit_code, Matter.code)
        .join(Matter, Matter.id == ExtensionRequest.matter_id)
        .where(
            ExtensionRequest.status == "approved",
            ExtensionRequest.requested_at >= period.since,
            ExtensionRequest.requested_at < period.until,
        )
        .order_by(ExtensionRequest.requested_at)
    )
    for unit, code in rows:
        facts.of(unit).extensions.append(code)


def _urgings(session: Session, period: Period, facts: Facts) -> None:
    """Notices of the escalation ladder; one per deadline and kind (a timer re-armed when a
    report is sent back repeats a notice already counted)."""
    matters = session.execute(
        select(Urging.unit_code, Matter.code, Urging.deadline_id, Urging.kind)
        .join(Matter, Matter.id == Urging.matter_id)
        .where(Urging.kind.in_(URGING_KINDS), Urging.at >= period.since, Urging.at < period.until)
        .order_by(Urging.at)
    )
    seen: set[tuple[object, ...]] = set()
    for unit, code, deadline_id, kind in matters:
        if (unit, code, deadline_id, kind) not in seen:
            seen.add((unit, code, deadline_id, kind))
            facts.of(unit).urgings.append(code)
    rectifications = session.execute(
        select(
            RectificationUrging.unit_code,
            Rectification.code,
            RectificationUrging.part_id,
            RectificationUrging.kind,
        )
        .join(Rectification, Rectification.id == RectificationUrging.rectification_id)
        .where(
            RectificationUrging.kind.in_(URGING_KINDS),
            RectificationUrging.at >= period.since,
            RectificationUrging.at < period.until,
        )
        .order_by(RectificationUrging.at)
    )
    for unit, code, part_id, kind in rectifications:
        if (unit, code, part_id, kind) not in seen:
            seen.add((unit, code, part_id, kind))
            facts.of(unit).urgings.append(code)


def _rejections(session: Session, period: Period, facts: Facts) -> None:
    rows = session.execute(
        select(Matter.lead_unit, Matter.code)
        .join(TimelineEntry, TimelineEntry.matter_id == Matter.id)
        .where(
            TimelineEntry.event == "sent_back",
            TimelineEntry.at >= period.since,
            TimelineEntry.at < period.until,
        )
        .order_by(TimelineEntry.at)
    )
    for unit, code in rows:
        facts.of(unit).rejections.append(code)


def _rectifications(session: Session, period: Period, today: date, facts: Facts) -> None:
    rows = session.execute(
        select(RectificationPart, Rectification.code)
        .join(Rectification, Rectification.id == RectificationPart.rectification_id)
        .where(RectificationPart.due >= period.start, RectificationPart.due <= period.end)
        .order_by(Rectification.code)
    )
    for part, code in rows:
        if part.status == "accepted":
            facts.of(part.unit_code).rectifications.append((code, part.outcome or "on_time"))
        elif part.due < today:
            facts.of(part.unit_code).rectifications.append((code, "overdue"))


def _bulletins(session: Session, period: Period, facts: Facts) -> None:
    rows = session.execute(
        select(BulletinEntry.unit_code, Bulletin.code, BulletinEntry.verdict)
        .join(Bulletin, Bulletin.id == BulletinEntry.bulletin_id)
        .where(
            Bulletin.status == "issued",
            Bulletin.issued_at >= period.since,
            Bulletin.issued_at < period.until,
        )
        .order_by(Bulletin.issued_at)
    )
    for unit, code, verdict in rows:
        facts.of(unit).bulletins.append((code, verdict))


def _satisfaction(session: Session, period: Period, facts: Facts) -> None:
    """The opinion now on record of every proposal whose proposer answered in the period."""
    answered = (
        select(TimelineEntry.matter_id)
        .where(
            TimelineEntry.event == "satisfaction",
            TimelineEntry.at >= period.since,
            TimelineEntry.at < period.until,
        )
        .distinct()
    )
    rows = session.execute(
        select(Matter.lead_unit, Matter.code, Matter.satisfaction)
        .where(
            Matter.id.in_(answered),
            Matter.source_type.in_(PROPOSAL_SOURCES),
            Matter.satisfaction.is_not(None),
        )
        .order_by(Matter.code)
    )
    for unit, code, opinion in rows:
        facts.of(unit).satisfaction.append((code, opinion or ""))
