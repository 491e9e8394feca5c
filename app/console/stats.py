"""Counts of matters for the console's dashboard (督查看板), in one request per grouping.

The same matters `GET /api/v1/matters` lists with the same filters (the caller's scope), counted
per light, status, category, source, lead unit or month of assignment; each group also says how
many are closed and how many are overdue (open with a deadline past due — red by the clock,
`app.supervision.matter_lights.overdue`, the `overdue=true` filter of the list).

Closed matters come from the summary (`app.supervision.tally`) when the caller's scope has a
key there and the filters are the summary's (category, status, overdue); what it does not hold
is counted live. Other filters (a unit and those below it, text, due dates, light, source)
count every matter live. Exact either way.
"""

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import CompoundSelect, Integer, Select, String, case, cast, func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.identity.policy import Scope, scope_of
from app.identity.principal import Principal
from app.supervision import matters, tally
from app.supervision import queries as matter_queries
from app.supervision.matter_lights import CLOSED, OPEN, overdue
from app.supervision.models import Matter
from app.supervision.schemas import MatterFilters

GroupBy = Literal["light", "status", "category", "source_type", "unit", "month"]


class MatterGroup(BaseModel):
    key: str
    count: int
    closed: int
    overdue: int


class MatterStats(BaseModel):
    """Counts per group, largest first (months in order). `summary_as_of`: when closed
    matters were last taken into the summary these counts used (null: counted live)."""

    group_by: str
    total: int
    groups: list[MatterGroup]
    summary_as_of: datetime | None = None


def matter_stats(
    s: Session, principal: Principal, filters: MatterFilters, group_by: GroupBy
) -> MatterStats:
    """The matters `principal` may read passing `filters`, counted per `group_by`."""
    scope = scope_of(s, principal)
    live = matter_queries.filtered(s, scope, filters)
    key = tally.key_of(s, scope) if _summarised(filters) else None
    if key is None:
        return _stats(group_by, _live_rows(s, live, group_by), Counter(), None)
    untallied = unheld(s, scope, filters, live)  # the summary holds the rest
    for _attempt in range(3):
        # The summary's rows, what left it and the live count are three reads: a refresh that
        # commits between them would count a matter twice or not at all (PostgreSQL reads
        # each statement's own snapshot), so they are read again when one came in between.
        as_of = tally.refreshed_at(s)
        tallies: Counter[str] = Counter()
        if filters.status_ in (None, "closed") and not filters.overdue:
            tallies = tally.held(s, key, group_by, filters.category)
        rows = _live_rows(s, untallied, group_by)
        if tally.refreshed_at(s) == as_of:
            return _stats(group_by, rows, tallies, as_of)
    return _stats(group_by, _live_rows(s, live, group_by), Counter(), None)  # all live


def unheld(
    s: Session, scope: Scope, filters: MatterFilters, live: Select[Matter]
) -> Select[Any] | CompoundSelect:
    """What the summary does not hold: open matters, and those closed since its last refresh.
    For a scope narrower than everything, the open ones are read through the scope's units'
    open matters (`MatterUnit.open`): a city's 7,000 open links, not its 120,000 over the years."""
    untallied = ~Matter.tallied
    if scope.everything:
        return live.where(untallied)
    still_open = matter_queries.filtered(s, scope, filters, open_only=True)
    return union_all(
        still_open.where(OPEN, untallied), live.where(Matter.status == CLOSED, untallied)
    )


def _live_rows(
    s: Session, live: Select[Matter] | Select[Any] | CompoundSelect, group_by: GroupBy
) -> list[Any]:
    """The matters of `live` counted per group, with the closed and the overdue."""
    found = live.subquery()
    column: ColumnElement[str] = {
        "light": found.c.light,
        "status": found.c.status,
        "category": found.c.category,
        "source_type": found.c.source_type,
        "unit": found.c.lead_unit,
        "month": func.substr(cast(found.c.assigned_on, String), 1, 7),
    }[group_by]
    closed = found.c.status == CLOSED
    late = found.c.id.in_(select(Matter.id).where(overdue(matters.today())))
    return list(
        s.execute(
            select(
                column.label("key"),
                func.count().label("count"),
                func.sum(cast(case((closed, 1), else_=0), Integer)).label("closed"),
                func.sum(cast(case((late, 1), else_=0), Integer)).label("overdue"),
            ).group_by(column)
        )
    )


def _stats(
    group_by: GroupBy, rows: list[Any], tallies: Counter[str], as_of: datetime | None
) -> MatterStats:
    """The live groups and the summary's, added up and ordered."""
    groups = {
        str(r.key): MatterGroup(
            key=str(r.key), count=r.count, closed=r.closed or 0, overdue=r.overdue or 0
        )
        for r in rows
    }
    for value, n in tallies.items():  # every matter the summary holds is closed, none overdue
        group = groups.setdefault(value, MatterGroup(key=value, count=0, closed=0, overdue=0))
        group.count += n
        group.closed += n
    ordered = list(groups.values())
    if group_by == "month":
        ordered.sort(key=lambda g: g.key)
    else:
        ordered.sort(key=lambda g: (-g.count, g.key))
    return MatterStats(
        group_by=group_by,
        total=sum(g.count for g in ordered),
        groups=ordered,
        summary_as_of=as_of,
    )


def _summarised(filters: MatterFilters) -> bool:
    """Whether the summary can count these filters: it groups closed matters by category only."""
    return all(
        value is None
        for value in (
            filters.light,
            filters.source_type,
            filters.unit or None,
            filters.q or None,
            filters.due_before,
            filters.due_after,
        )
    )
