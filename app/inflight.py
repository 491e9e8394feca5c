"""At most so many API requests of one process at once; the others wait their turn, holding
nothing (`DUCHA_REQUESTS_IN_FLIGHT`, by default the database pool's size).

A request's session keeps its connection across several calls into the thread pool (a sync
dependency that reads, the route, the session's end) and waits for a thread in between. With
more requests in flight than the pool has connections, a burst could leave every connection
held by a request waiting for a thread, and every thread waiting for a connection. Requests then
failed with the pool's timeout (503 `database_error`) though the database was fine: 144 of 300
reads sent at once in one measured run (docs/performance.md). Let in no more than the pool's
size and each request finds its connection, with the overflow left for what else takes one
(background work, health checks, a registration's code sequence).

A request takes its turn once its body has arrived (bounded by `BodyLimit`, outside), so a slow
upload holds none. Only `/api/` is counted: the health check, metrics and the console's files
pass, and so does the event feed (`GET /api/v1/events`), whose long-poll sleeps up to 30 s
between looks holding nothing: ten such callers must not hold every turn.
"""

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from app.kit.asgi import buffered

PASS = frozenset({"/api/v1/events"})  # the event feed: each look is one thread call


class InFlight:
    """Pure ASGI middleware: a semaphore of `limit` around each API request."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        # One per event loop: a test client may serve the same app from several loops.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.limit))
        return self._slots[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _passes(scope["path"]):
            await self.app(scope, receive, send)
            return
        # The body first: a slow upload holds no turn while it arrives.
        _, receive = await buffered(receive)
        async with self._semaphore():
            await self.app(scope, receive, send)


def _passes(path: str) -> bool:
    return not path.startswith("/api/") or path.rstrip("/") in PASS
