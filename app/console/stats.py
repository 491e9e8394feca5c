"""Counts of matters for the console's dashboard (督查看板), in one request per grouping.

The same matters `GET /api/v1/matters` lists with the same filters (the caller's scope), counted
per light, status, category, source, lead unit or month of assignment; each group also says how
many are closed and how many are overdue (open with a deadline past due — red by the clock,
`app.supervision.matter_lights.overdue`, the `overdue=true` filter of the list).
"""

from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Integer, String, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.identity.principal import Principal
from app.supervision import matters
from app.supervision import queries as matter_queries
from app.supervision.matter_lights import overdue
from app.supervision.models import Matter
from app.supervision.schemas import MatterFilters

GroupBy = Literal["light", "status", "category", "source_type", "unit", "month"]


class MatterGroup(BaseModel):
    key: str
    count: int
    closed: int
    overdue: int


class MatterStats(BaseModel):
    """Counts per group, largest first (months in order)."""

    group_by: str
    total: int
    groups: list[MatterGroup]


def matter_stats(
    s: Session, principal: Principal, filters: MatterFilters, group_by: GroupBy
) -> MatterStats:
    """The matters `principal` may read passing `filters`, counted per `group_by`."""
    found = matter_queries.filtered(s, principal, filters).subquery()
    key: ColumnElement[str] = {
        "light": found.c.light,
        "status": found.c.status,
        "category": found.c.category,
        "source_type": found.c.source_type,
        "unit": found.c.lead_unit,
        "month": func.substr(cast(found.c.assigned_on, String), 1, 7),
    }[group_by]
    closed = found.c.status == "closed"
    late = found.c.id.in_(select(Matter.id).where(overdue(matters.today())))
    rows = s.execute(
        select(
            key.label("key"),
            func.count().label("count"),
            func.sum(cast(case((closed, 1), else_=0), Integer)).label("closed"),
            func.sum(cast(case((late, 1), else_=0), Integer)).label("overdue"),
        ).group_by(key)
    ).all()
    groups = [
        MatterGroup(key=str(r.key), count=r.count, closed=r.closed or 0, overdue=r.overdue or 0)
        for r in rows
    ]
    if group_by == "month":
        groups.sort(key=lambda g: g.key)
    else:
        groups.sort(key=lambda g: (-g.count, g.key))
    return MatterStats(group_by=group_by, total=sum(g.count for g in groups), groups=groups)
