"""Who may read which matters: the one readable statement every matter read starts from.

Lists, details (404 when absent), the .xlsx ledger, the console's stats, the results that name
matters and the notices all start from `readable` (docs/access.md).
"""

import uuid

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.identity import readable as base
from app.identity.policy import Scope
from app.org import service as org
from app.supervision import matters
from app.supervision.matter_lights import overdue
from app.supervision.models import Assignment, Matter, MatterUnit
from app.supervision.schemas import MatterFilters


def readable_clause(scope: Scope, open_only: bool = False) -> ColumnElement[bool]:
    """Matters owned by, or assigned to, a unit in scope (domain.md §8: every level sees its own
    and its subordinates' matters, and the matters assigned to them): one semi-join through the
    units a matter is read by (`MatterUnit`), which an index serves from either side.
    `open_only`: of those, the open ones, through the units' open matters alone (their own
    partial index: a unit's open work, not every matter of its years)."""
    also = (MatterUnit.open,) if open_only else ()
    return base.linked(scope, Matter.id, MatterUnit.matter_id, MatterUnit.unit_code, *also)


def readable(session: Session, who: base.Who) -> Select[Matter]:
    """The matters `who` may read."""
    return select(Matter).where(readable_clause(base.scope(session, who)))


def readable_matter(session: Session, who: base.Who, matter_id: uuid.UUID) -> Matter:
    """One matter `who` may read, or 404."""
    statement = readable(session, who).where(Matter.id == matter_id)
    return base.one(session, statement, "matter", matter_id)


def filtered(
    session: Session, who: base.Who, f: MatterFilters, *, open_only: bool = False
) -> Select[Matter]:
    """The readable matters that pass the list's filters (list, ledger and stats share it).
    `open_only`: the caller keeps open matters only (it filters them itself): the scope is read
    through the units' open matters."""
    scope = base.scope(session, who)
    below = _below(session, f.unit) if f.unit else None
    if below is not None and scope.covers(below):
        # Assigned to a unit in scope is readable (every assigned unit reads the matter through
        # `matter_units`): the scope's semi-join would repeat the filter's, and the planner,
        # taking the two for independent, misjudges how many matters pass both.
        query = select(Matter)
    else:
        # A unit's open matters through its open links (a few of its years of links); a
        # government's subtree (an office) through all its links. It reads a large share of
        # every matter, and PostgreSQL, which cannot know that open links lead to open matters,
        # took its open links for ~8 % of the open matters and sorted every open matter past due
        # (11-17 ms at five years) where walking them newest first takes 0.4-0.7 ms. A caller
        # that counts every open matter of the scope (the dashboard) asks for `open_only`.
        narrow = open_only or (_open_only(f) and not scope.subtrees)
        query = select(Matter).where(readable_clause(scope, open_only=narrow))
    for column, value in (
        (Matter.status, f.status_),
        (Matter.light, f.light),
        (Matter.category, f.category),
        (Matter.source_type, f.source_type),
    ):
        if value is not None:
            query = query.where(column == value)
    if below is not None:
        assigned = select(Assignment.matter_id).where(below.clause(Assignment.unit_code))
        query = query.where(Matter.id.in_(assigned))
    if f.overdue is not None:
        late = overdue(matters.today())  # domain.md §7: red by the clock, not as last stored
        query = query.where(late if f.overdue else ~late)
    if f.due_before:
        query = query.where(Matter.final_due < f.due_before)
    if f.due_after:
        query = query.where(Matter.final_due > f.due_after)
    if f.q:
        query = query.where(searched(session, f.q))
    return query


def _open_only(f: MatterFilters) -> bool:
    """Whether the filters pass open matters only (overdue is open and past due)."""
    return bool(f.overdue) or (f.status_ is not None and f.status_ != "closed")


def _below(session: Session, unit: str) -> Scope:
    """A unit and the units below it, as a scope (none when there is no such unit)."""
    path = org.path_of(session, unit)
    return Scope(everything=False, subtrees=(path,) if path else ()).expanded(session)


def searched(session: Session, q: str) -> ColumnElement[bool]:
    """The board's search: part of the number, title or content, or of the lead unit's name
    (the units named so, from the unit-tree cache)."""
    found = (
        Matter.code.icontains(q, autoescape=True)
        | Matter.title.contains(q, autoescape=True)
        | Matter.content.contains(q, autoescape=True)
    )
    named = org.codes_named(session, q)
    return found | Matter.lead_unit.in_(sorted(named)) if named else found
