"""GET /api/v1/events: the outbox as a feed for systems that cannot receive calls.

Ordered and resumable (pass `next` back as `after`), scoped by the caller's units, with an
optional long-poll: the route is async and sleeps between reads, each read in a worker thread.
"""

import time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.engine import Engine, EngineDep
from app.events import outbox, queries
from app.events.catalogue import TYPES
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Text
from app.kit.errors import InvalidData
from app.kit.shared import ERRORS

router = APIRouter(prefix="/api/v1/events", tags=["events"], responses=ERRORS)
routers: list[APIRouter] = [router]
Reader = Annotated[Principal, Depends(permission("events.read"))]
POLL_SECONDS = 0.2  # how often a long-poll looks again


class EventPage(BaseModel):
    """A page of CloudEvents; `next` is the cursor to pass as `after` for the following page."""

    items: list[dict[str, Any]]
    next: str


@router.get("", response_model=EventPage)
async def read_events(
    engine: EngineDep,
    principal: Reader,
    after: Annotated[Text | None, Query(max_length=60)] = None,
    type: Annotated[list[Text] | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[float, Query(ge=0, le=30)] = 0,
) -> EventPage:
    """Events after the cursor `after`, oldest first, of the given types, in your scope.

    With `wait` (seconds), an empty answer waits until an event arrives or the time is up.
    """
    cursor = outbox.Cursor.decode(after)
    types = _types(type or [])
    deadline = time.monotonic() + wait
    while True:
        page = await anyio.to_thread.run_sync(_page, engine, principal, cursor, types, limit)
        if page.items or time.monotonic() >= deadline:
            return page
        cursor = outbox.Cursor.decode(page.next)
        await anyio.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))


def _types(raw: list[str]) -> list[str]:
    known = [t.removeprefix(outbox.PREFIX) for t in raw]
    unknown = [
        {"field": "type", "message": f"unknown event type '{t[:100]}'"}
        for t in known
        if t not in TYPES
    ]
    if unknown:
        raise InvalidData("unknown event type", errors=unknown)
    return known


def _page(
    engine: Engine, principal: Principal, cursor: outbox.Cursor, types: list[str], limit: int
) -> EventPage:
    with engine.db.session() as s:
        return _read(s, principal, cursor, types, limit)


def _read(
    s: Session, principal: Principal, cursor: outbox.Cursor, types: list[str], limit: int
) -> EventPage:
    # The high-water mark first: events up to it are settled, so a page shorter than `limit`
    # can move the cursor past everything it skipped (other types, other units).
    mark = outbox.last_settled(s)
    if mark is None or (mark.txid, mark.id) <= (cursor.txid, cursor.id):
        return EventPage(items=[], next=cursor.encode())
    events = outbox.read_after(
        s,
        cursor,
        limit=limit,
        types=types,
        readable=queries.readable(s, principal),
        until=mark,
    )
    following = outbox.Cursor.of(events[-1]) if len(events) == limit else mark
    return EventPage(items=[outbox.cloudevent(e) for e in events], next=following.encode())
