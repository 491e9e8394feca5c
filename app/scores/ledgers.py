"""Ledgers (台账) as .xlsx: matters, overdue obligations, rectifications — in the caller's scope."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.documents import xlsx
from app.documents.xlsx import Sheet
from app.identity.policy import Scope, scope_of
from app.identity.principal import Principal
from app.kit.paging import page
from app.org.models import Unit
from app.rectification import queries as rectification_queries
from app.rectification.models import Rectification, RectificationPart, RectificationUrging
from app.scores import exports, labels
from app.scores.gather import URGING_KINDS
from app.supervision import lights
from app.supervision import queries as matter_queries
from app.supervision.lights import Light
from app.supervision.models import Matter, MatterDeadline, Urging
from app.supervision.schemas import MatterFilters, MatterOut

LEDGER_MAX_ROWS = 200_000
RED = Light.RED.value  # domain.md §7: past due and not done is red (`lights.past_due`)


def matters_workbook(s: Session, principal: Principal, filters: MatterFilters) -> bytes:
    """督查事项台账: the matter list, with the filters of `GET /matters`, as a workbook."""
    # The list's own query, so the ledger and the list never disagree on a filter or scope.
    query = matter_queries.filtered(s, principal, filters)
    found = page(s, query, Matter.created_at.desc(), MatterOut, LEDGER_MAX_ROWS, 0)
    names = _unit_names(s)
    sheet = Sheet("督查事项台账", exports.MATTER_COLUMNS, exports.matter_rows(found.items, names))
    return xlsx.workbook([sheet])


def overdue_workbook(s: Session, principal: Principal, day: date) -> bytes:
    """逾期清单: every open obligation past its due day — matters' deadlines and rectification
    parts — with the unit, the days late and how often it was urged."""
    scope = scope_of(s, principal)
    names = _unit_names(s)
    rows = sorted(
        [*_overdue_deadlines(s, scope, day, names), *_overdue_parts(s, scope, day, names)],
        key=lambda r: (-r[7], r[1]),
    )
    sheet = Sheet("逾期清单", exports.OVERDUE_COLUMNS, exports.numbered(rows))
    return xlsx.workbook([sheet])


def _overdue_deadlines(
    s: Session, scope: Scope, day: date, names: dict[str, str]
) -> list[list[Any]]:
    urged = (
        select(Urging.deadline_id, func.count().label("n"))
        .where(Urging.kind.in_(URGING_KINDS))
        .group_by(Urging.deadline_id)
        .subquery()
    )
    rows = s.execute(
        select(MatterDeadline, Matter.code, Matter.title, urged.c.n)
        .join(Matter, Matter.id == MatterDeadline.matter_id)
        .outerjoin(urged, urged.c.deadline_id == MatterDeadline.id)
        .where(
            lights.past_due(MatterDeadline.due, MatterDeadline.done_on, day),
            Matter.status != "closed",
            matter_queries.readable_clause(scope),
        )
    )
    return [
        [
            "督查事项",
            code,
            title,
            deadline.label,
            deadline.unit_code,
            names.get(deadline.unit_code or "", deadline.unit_code),
            deadline.due,
            (day - deadline.due).days,
            count or 0,
            labels.LIGHT[RED],
        ]
        for deadline, code, title, count in rows
    ]


def _overdue_parts(s: Session, scope: Scope, day: date, names: dict[str, str]) -> list[list[Any]]:
    urged = _part_urgings()
    rows = s.execute(
        select(RectificationPart, Rectification.code, Rectification.title, urged.c.n)
        .join(Rectification, Rectification.id == RectificationPart.rectification_id)
        .outerjoin(urged, urged.c.part_id == RectificationPart.id)
        .where(
            RectificationPart.status != "accepted",
            RectificationPart.done_on.is_(None),
            RectificationPart.due < day,
            rectification_queries.readable_clause(scope),
        )
    )
    return [
        [
            "限期整改",
            code,
            title,
            "整改报告",
            part.unit_code,
            names.get(part.unit_code, part.unit_code),
            part.due,
            (day - part.due).days,
            count or 0,
            labels.LIGHT[RED],
        ]
        for part, code, title, count in rows
    ]


def _part_urgings() -> Any:
    return (
        select(RectificationUrging.part_id, func.count().label("n"))
        .where(RectificationUrging.kind.in_(URGING_KINDS))
        .group_by(RectificationUrging.part_id)
        .subquery()
    )


def rectifications_workbook(
    s: Session,
    principal: Principal,
    day: date,
    *,
    status: str | None,
    unit: str | None,
    light: str | None,
    overdue: bool | None,
) -> bytes:
    """整改台账: one row per unit's part, with the filters of `GET /rectifications`."""
    chosen = rectification_queries.filtered(
        s, principal, status=status, unit=unit, light=light, overdue=overdue, today=day
    ).subquery()
    urged = _part_urgings()
    names = _unit_names(s)
    rows = [
        _part_row(rectification, part, count or 0, names)
        for rectification, part, count in s.execute(
            select(Rectification, RectificationPart, urged.c.n)
            .join(RectificationPart, RectificationPart.rectification_id == Rectification.id)
            .outerjoin(urged, urged.c.part_id == RectificationPart.id)
            .where(Rectification.id.in_(select(chosen.c.id)))
            .order_by(Rectification.created_at.desc(), RectificationPart.unit_code)
        )
    ]
    sheet = Sheet("整改台账", exports.RECTIFICATION_COLUMNS, exports.numbered(rows))
    return xlsx.workbook([sheet])


def _part_row(
    rectification: Rectification, part: RectificationPart, urgings: int, names: dict[str, str]
) -> list[Any]:
    verification = part.verification or {}
    how = None
    if verification:
        how = "实地核查" if verification.get("on_site") else "书面核查"
    return [
        rectification.code,
        rectification.title,
        "；".join(rectification.problems),
        part.unit_code,
        names.get(part.unit_code, part.unit_code),
        part.due,
        labels.PART_STATUS.get(part.status, part.status),
        labels.LIGHT.get(part.light, part.light),
        part.plan_returns,
        part.send_backs,
        part.done_on,
        labels.OUTCOME.get(part.outcome or "", None),
        part.days_late,
        urgings,
        how,
        verification.get("findings"),
        xlsx.as_date(part.accepted_at),
    ]


def _unit_names(s: Session) -> dict[str, str]:
    return {code: name for code, name in s.execute(select(Unit.code, Unit.name))}
