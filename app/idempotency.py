"""Idempotency keys: a retried POST returns the first answer and changes nothing.

A client sends `Idempotency-Key: <key>` on a POST that starts or completes something. The key
is claimed **inside the transaction of the change** (a row in `idempotency_keys`, unique per
caller and key), so the change and its claim commit together or not at all. The answer is stored
on that row before it is sent; a retry with the same key and the same request is answered from
the row, marked `Idempotent-Replayed: true`. The same key with a different request is 422; a
retry while the first is still running is 409 with `Retry-After`.

A request that changed nothing (a 4xx before any commit) claims nothing: its retry runs again.
"""

import hashlib
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
from fastapi import Request
from sqlalchemy import Integer, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import clock
from app.db import Base, Database, UTCDateTime
from app.errors import DomainError

log = logging.getLogger(__name__)

HEADER = "idempotency-key"
MAX_KEY = 255


class IdempotencyRecord(Base):
    """One claimed key: whose, for which request, and the answer once it was given."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KeyInFlight(DomainError):
    status, code = 409, "idempotency_key_in_flight"


@dataclass
class Claim:
    """The key of the request being served; `claimed` once its change committed."""

    principal: str
    key: str
    fingerprint: str
    method: str
    path: str
    claimed: bool = False


CURRENT: ContextVar[Claim | None] = ContextVar("ducha_idempotency", default=None)


def claim_in_transaction(db: Database, session: Session) -> None:
    """Before a request's first commit: insert its key row in the same transaction.

    Registered as a `Database.before_commit` hook. A concurrent request that claimed the same
    key first makes this insert fail: 409, and this transaction's change is rolled back.
    """
    claim = CURRENT.get()
    if claim is None or claim.claimed:
        return
    session.add(
        IdempotencyRecord(
            principal=claim.principal,
            key=claim.key,
            fingerprint=claim.fingerprint,
            method=claim.method,
            path=claim.path,
            created_at=clock.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise KeyInFlight(
            "a request with this Idempotency-Key is being served; retry later",
            errors=[{"field": "Idempotency-Key", "message": "in flight"}],
        ) from exc

    def mark() -> None:
        claim.claimed = True

    db.after_commit(mark)


class IdempotencyMiddleware:
    """Pure ASGI: replay a stored answer, or serve the request and store its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER.encode())
        if raw is None:
            await self.app(scope, receive, send)
            return
        key = raw.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            await _error(
                send,
                422,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1-{MAX_KEY} printable characters",
            )
            return
        principal = _principal(scope)
        if principal is None:  # not authenticated: the route answers 401, nothing to replay
            await self.app(scope, receive, send)
            return
        body, receive = await _buffer(receive)
        fingerprint = _fingerprint(scope, body)
        db: Database = scope["app"].state.db
        stored = await anyio.to_thread.run_sync(_lookup, db, principal, key)
        if stored is not None:
            await _answer_from(stored, fingerprint, send)
            return
        claim = Claim(principal, key, fingerprint, scope["method"], scope["path"])
        token = CURRENT.set(claim)
        try:
            await self._serve(scope, receive, send, db, claim)
        finally:
            CURRENT.reset(token)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, db: Database, claim: Claim
    ) -> None:
        """Run the route with its answer held back; store it when the change committed."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, hold)
        if start is None:
            return
        body = b"".join(chunks)
        if claim.claimed:
            headers = dict(start.get("headers", []))
            content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
            await anyio.to_thread.run_sync(_store, db, claim, start["status"], content_type, body)
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _principal(scope: Scope) -> str | None:
    app = scope["app"]
    try:
        principal = app.state.authenticator.authenticate(Request(scope))
    except DomainError:
        return None
    return str(principal.sub)


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (already bounded by the size limit) and hand it on again."""
    parts: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(parts)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _lookup(db: Database, principal: str, key: str) -> IdempotencyRecord | None:
    with db.session() as session:
        record = session.get(IdempotencyRecord, (principal, key))
        if record is not None:
            session.expunge(record)
        return record


def _store(db: Database, claim: Claim, status: int, content_type: str, body: bytes) -> None:
    def work(session: Session) -> None:
        record = session.get(IdempotencyRecord, (claim.principal, claim.key))
        if record is not None:
            record.status_code, record.content_type, record.body = status, content_type, body
            record.completed_at = clock.now()

    db.transaction(work)


async def _answer_from(stored: IdempotencyRecord, fingerprint: str, send: Send) -> None:
    if stored.fingerprint != fingerprint:
        await _error(
            send,
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
            first={"method": stored.method, "path": stored.path},
        )
        return
    if stored.status_code is None:
        await _error(
            send,
            409,
            "idempotency_key_in_flight",
            "the first request with this Idempotency-Key committed, but its answer is not "
            "stored yet (it is being sent, or the process stopped before storing it); read "
            "the resource to see its state",
            retry_after=True,
        )
        return
    await send(
        {
            "type": "http.response.start",
            "status": stored.status_code,
            "headers": [
                (b"content-type", (stored.content_type or "application/json").encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body or b""})


async def _error(
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    retry_after: bool = False,
    **extra: Any,
) -> None:
    payload = {
        "detail": detail,
        "code": code,
        "errors": [{"field": "Idempotency-Key", "message": detail}],
        **extra,
    }
    headers = [(b"content-type", b"application/json")]
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def purge(db: Database, older_than: timedelta) -> int:
    """Forget keys older than `older_than` (run by the scheduler's housekeeping)."""
    cutoff = clock.now() - older_than

    def work(session: Session) -> int:
        result = session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    return db.transaction(work)
