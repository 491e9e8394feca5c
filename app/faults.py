"""Database faults answer 503 with Retry-After, from whichever layer meets them.

Only a transaction known to have rolled back is "nothing was saved": a fault met after a commit
of the same request, or during a COMMIT, is an unknown outcome (see the README's "When the
database fails").
"""

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import WRITES, RequestWrites, is_database_fault
from app.kit.errors import OutcomeUnknown

log = logging.getLogger(__name__)

RETRY_AFTER = "1"
NOTHING_SAVED = "the database is unavailable; nothing was saved"
MAYBE_SAVED = (
    "the database failed after part of this request was saved; read the resource before "
    "sending it again"
)

SAVED_NOTE = "ducha: a transaction of this request had committed"
INTERNAL_NOTHING_SAVED = "internal error; nothing was saved"
INTERNAL_SAVED = (
    "internal error after part of this request was saved; read the resource before sending it again"
)


def internal_error_body(exc: BaseException) -> dict[str, str]:
    """The body of a 500: "nothing was saved" only when no transaction of the request committed."""
    saved = SAVED_NOTE in getattr(exc, "__notes__", ())
    return {"detail": INTERNAL_SAVED if saved else INTERNAL_NOTHING_SAVED, "code": "internal_error"}


def fault_body(exc: BaseException | None = None) -> dict[str, str]:
    """The body of the 503 answer to a database fault, truthful about what this request saved
    (sent with `Retry-After: RETRY_AFTER`)."""
    writes = WRITES.get()
    if isinstance(exc, OutcomeUnknown):
        return {"detail": exc.detail, "code": exc.code}
    if writes is not None and writes.committed:
        return {"detail": MAYBE_SAVED, "code": "outcome_unknown"}
    return {"detail": NOTHING_SAVED, "code": "database_error"}


class DatabaseFaults:
    """Pure ASGI, outermost but for metrics: a database fault from any inner layer is a 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = WRITES.set(RequestWrites())
        started = False

        async def noting(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, noting)
        except Exception as exc:
            if started or not is_database_fault(exc):
                writes = WRITES.get()
                if writes is not None and writes.committed:
                    exc.add_note(SAVED_NOTE)  # read by the 500 handler, outside this layer
                raise
            log.error("database error: %s", exc)
            headers = [
                (b"content-type", b"application/json"),
                (b"retry-after", RETRY_AFTER.encode()),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps(fault_body(exc)).encode()})
        finally:
            WRITES.reset(token)
