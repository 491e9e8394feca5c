"""Who may read which activities: the one readable statement every activity read starts from."""

import uuid
from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from app.activities.models import Activity, ActivityUnit, Attachment
from app.identity import readable as base
from app.identity.policy import Scope
from app.kit.errors import NotFound
from app.org.models import Unit


def readable_clause(scope: Scope) -> ColumnElement[bool]:
    """Activities one of whose units (owner, target, invitee, evaluator) is in scope."""
    return base.linked(scope, Activity.id, ActivityUnit.activity_id, ActivityUnit.unit_code)


def readable(session: Session, who: base.Who) -> Select[Activity]:
    """The activities `who` may read."""
    return select(Activity).where(readable_clause(base.scope(session, who)))


def readable_activity(session: Session, who: base.Who, activity_id: uuid.UUID) -> Activity:
    """One activity `who` may read, or 404."""
    statement = readable(session, who).where(Activity.id == activity_id)
    return base.one(session, statement, "activity", activity_id)


def readable_attachment(session: Session, who: base.Who, attachment_id: uuid.UUID) -> Attachment:
    """One attachment of an activity `who` may read, or 404."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found")
    readable_activity(session, who, row.activity_id)
    return row


def filtered(
    session: Session,
    who: base.Who,
    *,
    method: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    unit: str | None = None,
    year: int | None = None,
    q: str | None = None,
) -> Select[Activity]:
    """The readable activities narrowed by the list's filters; `unit` takes the units below it
    too, `year` the activities whose period meets that year."""
    query = readable(session, who)
    for column, value in (
        (Activity.method, method),
        (Activity.kind, kind),
        (Activity.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if unit:
        below = select(Unit.code).where(Unit.path.contains(f"{unit}/", autoescape=True))
        targets = select(ActivityUnit.activity_id).where(
            ActivityUnit.role == "target", ActivityUnit.unit_code.in_(below)
        )
        query = query.where(Activity.id.in_(targets))
    if year:
        query = query.where(
            Activity.period_start <= date(year, 12, 31), Activity.period_end >= date(year, 1, 1)
        )
    if q:
        query = query.where(
            or_(
                Activity.title.contains(q, autoescape=True),
                Activity.content.contains(q, autoescape=True),
            )
        )
    return query
