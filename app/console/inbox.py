"""The inbox as the office's day (我的待办): each open task with what it is about — the matter,
plan, activity, rectification or result whose process it belongs to — overdue and due-soon first.

The engine knows no domain: it gives the tasks the caller may read (`filtered_tasks`, the rules of
`GET /api/v1/tasks`); this module joins them in SQL with the domains' rows that hang on a process
instance (`instance_id`). It lives in the console package, the one layer above every domain.
"""

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Label,
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
from app.engine import (
    ProcessInstance,
    TaskOut,
    TaskRecord,
    filtered_tasks,
    name_tasks,
    workable_clause,
)
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
    red = TaskRecord.due_at < red_before
    yellow = (TaskRecord.due_at >= red_before) & (TaskRecord.due_at < yellow_before)
    # The aggregate over the query's own rows, not over a subquery of it: the same count, and
    # a statement that costs less to build (a subquery's columns are built per request).
    aggregate = query.with_only_columns(
        func.count(),
        func.coalesce(func.sum(case((red, 1), else_=0)), 0),
        func.coalesce(func.sum(case((yellow, 1), else_=0)), 0),
        maintain_column_froms=True,
    )
    total, overdue, due_soon = s.execute(aggregate.order_by(None)).one()
    return InboxCounts(total=total, overdue=overdue, due_soon=due_soon)


def urgency() -> list[Any]:
    """Overdue first, then due soon, then the rest by due date (no due date last), oldest
    first. The lights' buckets follow the due date (red is due before yellow, yellow before
    green), so the order is the due date's, which the open-task index by unit and due date
    serves: the page is read in order, not sorted out of every open task in scope."""
    return [TaskRecord.due_at.asc().nulls_last(), TaskRecord.created_at, TaskRecord.id]


# What a page reads of a task: the columns of the answer's own fields (light, names and subject
# are added), in the order of `_TASK_FIELDS`, after its instance's definition.
_TASK_COLUMNS = [c for c in TaskRecord.__table__.c if c.key in InboxTask.model_fields]
_TASK_FIELDS = [c.key for c in _TASK_COLUMNS]


def page_query(query: Select[Any], limit: int, offset: int) -> Select[Any]:
    """One page of `query` in urgency order (the LIMIT in the database), as plain columns: each
    task's instance's definition (for the names), then `_TASK_FIELDS`."""
    return (
        query.with_only_columns(_definition_of_task(), *_TASK_COLUMNS)
        .order_by(*urgency())
        .limit(limit)
        .offset(offset)
    )


def page_of(s: Session, query: Select[Any], limit: int, offset: int) -> list[InboxTask]:
    """One page of `query` (`page_query`), each task with its subject, read for the page's
    instances only, and named per language (`name_tasks`).

    No ORM entities (loading them cost more than the rest of the page) and no second query for
    the names. Validating a dict of the columns costs less than `model_construct` (Python, per
    field) and keeps the checks."""
    rows = s.execute(page_query(query, limit, offset)).all()
    named = _subjects_of(s, {row.instance_id for row in rows})
    tasks: list[InboxTask] = []
    definitions: dict[uuid.UUID, uuid.UUID] = {}
    for definition_id, *values in rows:
        fields: dict[str, Any] = dict(zip(_TASK_FIELDS, values, strict=True))
        fields["subject"] = named.get(fields["instance_id"])
        tasks.append(InboxTask.model_validate(fields))
        definitions[fields["instance_id"]] = definition_id
    name_tasks(s, tasks, definitions)
    return tasks


def _definition_of_task() -> Label[uuid.UUID]:
    """The task's instance's definition, as a scalar subquery: PostgreSQL evaluates it for the
    rows the LIMIT keeps, after any sort (a join could be made for every open task in scope)."""
    definition = select(ProcessInstance.definition_id)
    of_task = definition.where(ProcessInstance.id == TaskRecord.instance_id)
    return of_task.scalar_subquery().label("definition_id")


def _subjects_of(s: Session, instance_ids: set[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """{instance id: its subject} for a page's instances (the first by kind and id when two rows
    name one instance)."""
    if not instance_ids:
        return {}
    statement = _page_subjects(s.get_bind().dialect.name)
    rows = s.execute(statement, {"page_instances": sorted(instance_ids)})
    named: dict[uuid.UUID, Subject] = {}
    for kind, subject_id, code, title, instance_id in rows:
        if instance_id not in named:
            fields = {"kind": kind, "id": subject_id, "code": code, "title": title}
            named[instance_id] = Subject.model_validate(fields)
    return named


@cache
def _page_subjects(dialect: str) -> Select[Any]:
    """The subjects of the instances `page_instances`, first by kind and id: built once per
    dialect (a statement of ten parts costs more to build than to run). On PostgreSQL one array
    parameter shared by every part (`= ANY`), elsewhere an expanding IN list."""
    if dialect == "postgresql":
        array = bindparam("page_instances", type_=postgresql.ARRAY(Uuid))
        about = subjects(lambda instance_id: instance_id == any_(array))
    else:
        listed: BindParameter[list[uuid.UUID]] = bindparam("page_instances", expanding=True)
        about = subjects(lambda instance_id: instance_id.in_(listed))
    return select(about).order_by(about.c.kind, about.c.id)
