"""The outbox as a feed (GET /api/v1/events): one look after a cursor, in the caller's scope."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.events import outbox, queries
from app.identity.principal import Principal


class EventPage(BaseModel):
    """A page of CloudEvents; `next` is the cursor to pass as `after` for the following page."""

    items: list[dict[str, Any]]
    next: str


def look(
    s: Session, principal: Principal, cursor: outbox.Cursor, types: list[str], limit: int
) -> EventPage:
    """One look at the feed, then the session's transaction ends: a long-poll holds no
    connection while it sleeps, and its next look sees what was committed meanwhile."""
    found = read(s, principal, cursor, types, limit)
    s.commit()
    return found


def read(
    s: Session, principal: Principal, cursor: outbox.Cursor, types: list[str], limit: int
) -> EventPage:
    """Events after `cursor` of the given types (all when empty) that `principal` may read."""
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
