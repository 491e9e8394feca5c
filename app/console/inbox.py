"""The inbox as the office's day (我的待办): each open task with what it is about — the matter,
plan, activity, rectification or result whose process it belongs to — overdue and due-soon first.

The engine knows no domain: it gives the tasks the caller may read (`filtered_tasks`, the rules of
`GET /api/v1/tasks`); this module joins them in SQL with the domains' rows that hang on a process
instance (`instance_id`). It lives in the console package, the one layer above every domain.
"""

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    Uuid,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.activities.models import Activity, LookBack, Objection
from app.engine import TaskOut, TaskRecord, filtered_tasks, workable_clause
from app.identity.principal import Principal
from app.kit.timezone import CHINA
from app.org.models import Unit
from app.planning.models import ActivityProposal, AnnualPlan
from app.rectification.models import Rectification
from app.results.models import AccountabilityCase, Bulletin, SupervisionReport
from app.supervision.lights import Light, deadline_light
from app.supervision.models import Matter

Scope = Literal["mine", "unit", "all"]
SubjectKind = Literal[
    "matter",
    "look_back",
    "plan",
    "proposal",
    "activity",
    "objection",
    "rectification",
    "bulletin",
    "report",
    "accountability",
]


class Subject(BaseModel):
    """What a task is about: the domain row whose process the task belongs to. A look-back names
    its matter, an objection its activity (their own rows have no number or title)."""

    kind: SubjectKind
    id: uuid.UUID
    code: str = Field(description="the number (文号/编号); a plan's year")
    title: str


class InboxTask(TaskOut):
    """A task of the inbox: the task, whose it is, its deadline and light, what is asked
    (`name`, `documentation`) and what it is about (`subject`, null when nothing names it)."""

    documentation: str | None = None
    subject: Subject | None = None


class InboxCounts(BaseModel):
    """Open tasks of a scope: all of them, the overdue (red) and the due soon (yellow)."""

    total: int
    overdue: int
    due_soon: int


class InboxPage(InboxCounts):
    items: list[InboxTask]
    limit: int
    offset: int


def subjects(of: Callable[[Any], ColumnElement[bool]]) -> FromClause:
    """The domain rows that own a process instance, as (kind, id, code, title, instance_id): those
    whose `instance_id` passes `of` (each part filtered on its own indexed column, so a page's
    few instances are a few index probes, not a union of every matter, plan and activity)."""

    def rows(kind: str, model: Any, code: Any, title: Any, ident: Any = None) -> Select[Any]:
        return select(
            literal(kind, String).label("kind"),
            (model.id if ident is None else ident).label("id"),
            cast(code, String).label("code"),
            cast(title, String).label("title"),
            model.instance_id.label("instance_id"),
        ).where(of(model.instance_id))

    def linked(kind: str, model: Any, key: Any, named: Any, code: Any, title: Any) -> Select[Any]:
        """A row without a number of its own, named by the row it belongs to."""
        return rows(kind, model, code, title, named.id).join(named, named.id == key)

    parts = [
        rows("matter", Matter, Matter.code, Matter.title),
        linked("look_back", LookBack, LookBack.matter_id, Matter, Matter.code, Matter.title),
        rows("plan", AnnualPlan, AnnualPlan.year, AnnualPlan.title),
        rows("proposal", ActivityProposal, ActivityProposal.code, ActivityProposal.title),
        rows("activity", Activity, Activity.code, Activity.title),
        linked(
            "objection", Objection, Objection.activity_id, Activity, Activity.code, Activity.title
        ),
        rows("rectification", Rectification, Rectification.code, Rectification.title),
        rows("bulletin", Bulletin, Bulletin.code, Bulletin.title),
        rows("report", SupervisionReport, SupervisionReport.code, SupervisionReport.title),
        rows(
            "accountability",
            AccountabilityCase,
            AccountabilityCase.code,
            func.substr(AccountabilityCase.facts, 1, 100),
        ),
    ]
    return union_all(*parts).subquery("subjects")


def light_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The instants before which an open task's due date lights red, and yellow: the SQL form of
    `lights.task_light` (a task due at `due_at` serves the day of `due_at - 1µs`, China time)."""
    today = now.astimezone(CHINA).date()
    first_green = today
    while deadline_light(first_green, None, today) != Light.GREEN:
        first_green += timedelta(days=1)
    return _day_end(today - timedelta(days=1)), _day_end(first_green - timedelta(days=1))


def _day_end(day: date) -> datetime:
    """The instant from which a due date no longer falls on `day` (midnight belongs to it)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=CHINA) + timedelta(
        microseconds=1
    )


def tasks_of(
    s: Session, principal: Principal, *, scope: Scope, process_key: str | None, q: str | None
) -> Select[Any]:
    """The open tasks of `scope` the caller may read (`q`: whose subject's number or title, or
    whose unit's name, holds it)."""
    query = filtered_tasks(
        s,
        principal,
        state="ready",
        assignee=None,
        unit=principal.unit if scope == "unit" else None,
        instance_id=None,
        process_key=process_key,
        element_id=None,
        due_before=None,
        mine=scope == "mine",
    )
    if scope == "mine":
        query = query.where(workable_clause(principal))
    if q:
        about = subjects(lambda instance_id: instance_id.is_not(None))
        named = (about.c.code.icontains(q, autoescape=True)) | about.c.title.icontains(
            q, autoescape=True
        )
        named_units = select(Unit.code).where(Unit.name.icontains(q, autoescape=True))
        query = query.where(
            or_(
                TaskRecord.instance_id.in_(select(about.c.instance_id).where(named)),
                TaskRecord.unit_code.in_(named_units),
            )
        )
    return query


def counts(s: Session, query: Select[Any], now: datetime) -> InboxCounts:
    """Total, overdue and due soon of `query`, in one aggregate over it."""
    red_before, yellow_before = light_bounds(now)
    rows = query.order_by(None).subquery()
    red = rows.c.due_at < red_before
    yellow = (rows.c.due_at >= red_before) & (rows.c.due_at < yellow_before)
    total, overdue, due_soon = s.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((red, 1), else_=0)), 0),
            func.coalesce(func.sum(case((yellow, 1), else_=0)), 0),
        ).select_from(rows)
    ).one()
    return InboxCounts(total=total, overdue=overdue, due_soon=due_soon)


def urgency() -> list[Any]:
    """Overdue first, then due soon, then the rest by due date (no due date last), oldest
    first. The lights' buckets follow the due date (red is due before yellow, yellow before
    green), so the order is the due date's, which the open-task index by unit and due date
    serves: the page is read in order, not sorted out of every open task in scope."""
    return [TaskRecord.due_at.asc().nulls_last(), TaskRecord.created_at, TaskRecord.id]


def _among(s: Session, ids: list[uuid.UUID]) -> Callable[[Any], ColumnElement[bool]]:
    """`instance_id` is one of `ids`: on PostgreSQL one array parameter shared by every part
    of the union (`= ANY`), elsewhere an IN list."""
    if s.get_bind().dialect.name == "postgresql":
        array = bindparam("page_instances", ids, type_=postgresql.ARRAY(Uuid))
        return lambda instance_id: instance_id == any_(array)
    return lambda instance_id: instance_id.in_(ids)


def page_of(s: Session, query: Select[Any], limit: int, offset: int) -> list[InboxTask]:
    """One page of `query` in urgency order (the LIMIT in the database), each task with its
    subject, read for the page's instances only."""
    records = list(s.scalars(query.order_by(*urgency()).limit(limit).offset(offset)))
    ids = sorted({r.instance_id for r in records if r.instance_id is not None})
    about = subjects(_among(s, ids)) if ids else None
    named: dict[uuid.UUID, Subject] = {}
    if about is not None:
        for row in s.execute(select(about).order_by(about.c.kind, about.c.id)):
            named.setdefault(row.instance_id, Subject.model_validate(row, from_attributes=True))
    tasks = []
    for record in records:
        task = InboxTask.model_validate(record)
        task.subject = named.get(record.instance_id)
        tasks.append(task)
    return tasks
