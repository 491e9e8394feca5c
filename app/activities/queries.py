"""Who may read which activities: the one readable statement every activity read starts from."""

import uuid

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.activities.models import Activity, ActivityUnit
from app.identity import readable as base
from app.identity.policy import Scope


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
