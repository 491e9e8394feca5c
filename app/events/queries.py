"""Who may read which events: the readable statement the event feed (`GET /api/v1/events`)
starts from."""

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.orm import Session

from app.events.models import OutboxEvent, OutboxEventUnit
from app.identity import readable as base
from app.identity.policy import Scope


def readable_clause(scope: Scope) -> ColumnElement[bool]:
    """Events one of whose units is in scope (an event names the units it is about)."""
    if scope.everything:
        return true()
    return exists(
        select(OutboxEventUnit.event_row_id).where(
            OutboxEventUnit.event_row_id == OutboxEvent.id, scope.clause(OutboxEventUnit.unit_code)
        )
    )


def readable(session: Session, who: base.Who) -> Select[OutboxEvent]:
    """The events `who` may read (admins: all, with no condition added)."""
    scope = base.scope(session, who)
    statement = select(OutboxEvent)
    return statement if scope.everything else statement.where(readable_clause(scope))
