"""Routes of the inbox as the console shows it (我的待办): the open tasks named by what they are
about, most urgent first, and their counts for the menu (`inbox.py`)."""

from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from app.console import inbox
from app.deps import DbDep, read
from app.engine import EngineDep
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Search, Text
from app.kit.clock import clock
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/inbox", responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("tasks.read"))]
ScopeQuery = Annotated[
    inbox.Scope,
    Query(description="mine: tasks you may work on; unit: your unit's; all: all you may read"),
]
SubjectSearch = Annotated[
    Search | None,
    Query(description="part of the subject's number or title, or of the task's unit's name"),
]


@router.get("", response_model=inbox.InboxPage)
def list_inbox(
    engine: EngineDep,
    principal: Reader,
    scope: ScopeQuery = "mine",
    process_key: Text | None = None,
    q: SubjectSearch = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> inbox.InboxPage:
    """Open tasks of `scope`, each naming its matter (or plan, activity, rectification, result),
    overdue first, then due soon, then by due date; with the counts of the same filter."""
    now = clock.now()

    def page(s: Session) -> inbox.InboxPage:  # read in this thread's session (`read`)
        query = inbox.tasks_of(s, principal, scope=scope, process_key=process_key, q=q)
        tally = inbox.counts(s, query, now)
        items = inbox.page_of(s, query, limit, offset)
        for task in items:
            task.light = engine.mark_due(task.state, task.due_at, now)
        return inbox.InboxPage(**tally.model_dump(), items=items, limit=limit, offset=offset)

    return read(engine.db, page)


@router.get("/counts", response_model=inbox.InboxCounts)
def inbox_counts(db: DbDep, principal: Reader, scope: ScopeQuery = "mine") -> inbox.InboxCounts:
    """How many open tasks of `scope` there are, overdue and due soon: the menu's badge."""

    def tally(s: Session) -> inbox.InboxCounts:
        query = inbox.tasks_of(s, principal, scope=scope, process_key=None, q=None)
        return inbox.counts(s, query, clock.now())

    return read(db, tally)
