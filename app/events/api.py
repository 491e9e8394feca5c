"""GET /api/v1/events: the outbox as a feed for systems that cannot receive calls.

Ordered and resumable (pass `next` back as `after`), scoped by the caller's units, with an
optional long-poll: the route is async and sleeps between looks, each look in a worker thread
(`feed.look`, which ends its transaction so that the sleep holds no connection).
"""

import time
from typing import Annotated

import anyio
from fastapi import Depends, Query

from app.engine import SessionDep
from app.events import feed, outbox
from app.events.catalogue import TYPES
from app.events.feed import EventPage
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Text
from app.kit.errors import InvalidData
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1/events", tags=["events"], responses=ERRORS)
routers: list[Router] = [router]
Reader = Annotated[Principal, Depends(permission("events.read"))]
POLL_SECONDS = 0.2  # how often a long-poll looks again


@router.get("", response_model=EventPage)
async def read_events(
    s: SessionDep,
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
        page = await anyio.to_thread.run_sync(feed.look, s, principal, cursor, types, limit)
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
