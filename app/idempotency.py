"""Idempotency keys: a retried POST returns the first answer and changes nothing.

A client sends `Idempotency-Key: <key>` on a POST that starts or completes something. The key
is claimed **inside the transaction of the change** (a row in `idempotency_keys`, unique per
caller and key), so the change and its claim commit together or not at all. The answer is stored
on that row before it is sent; a retry with the same key and the same request is answered from
the row, marked `Idempotent-Replayed: true`. The same key with a different request is 422; a
retry while the first is still running is 409 with `Retry-After`.

A request that changed nothing (a 4xx before any commit) claims nothing: its retry runs again.

The key row is the commit marker. When the connection fails during COMMIT (outcome unknown) the
route still builds its answer from the work's result; the client gets 503 `outcome_unknown`,
and a resolver thread stores that answer once the database answers, only on a row that exists
(committed) and is this attempt's (`owner`). A committed row without an answer is "in flight"
(409, Retry-After) until `answer_due`, then "answer lost" (409): never in flight forever.
"""

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
from fastapi import Request
from sqlalchemy import Integer, LargeBinary, String, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import Base, Database, UTCDateTime, is_database_fault
from app.kit.asgi import buffered
from app.kit.clock import clock
from app.kit.errors import DomainError

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
    # The attempt that committed the row; it alone may store the answer, until `answer_due`.
    owner: Mapped[str | None] = mapped_column(String(100))
    answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KeyInFlight(DomainError):
    status, code = 409, "idempotency_key_in_flight"


PROCESS = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Claim:
    """The key of the request being served; `claimed` once its change committed,
    `outcome_unknown` when its COMMIT failed without an answer."""

    principal: str
    key: str
    fingerprint: str
    method: str
    path: str
    lease: timedelta
    owner: str = ""
    claimed: bool = False
    outcome_unknown: bool = False

    def __post_init__(self) -> None:
        self.owner = f"{PROCESS}:{uuid.uuid4().hex[:12]}"[-100:]


@dataclass(frozen=True)
class Answer:
    """A response held in memory until it is stored on its key's row."""

    status: int
    content_type: str
    body: bytes
    fingerprint: str


# Answers whose storing is pending (outcome unknown, or the store failed), per service: a retry
# that reaches the same process is answered from here.
Pending = dict[tuple[str, str], Answer]


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
            owner=claim.owner,
            answer_due=clock.now() + claim.lease,
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

    def unknown() -> None:
        # Claimed as far as this request can tell: a later transaction must not insert it again.
        claim.claimed = claim.outcome_unknown = True

    db.after_commit(mark)
    db.if_outcome_unknown(unknown)


class IdempotencyMiddleware:
    """Pure ASGI: replay a stored answer, or serve the request and store its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pending: Pending = {}

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
        body, receive = await buffered(receive)
        fingerprint = _fingerprint(scope, body)
        db: Database = scope["app"].state.db
        # Read what this process holds before the row: an answer is dropped from `pending` only
        # after it is stored, so a row read afterwards without its answer is truly unanswered.
        held = self.pending.get((principal, key))
        stored = await anyio.to_thread.run_sync(_lookup, db, principal, key)
        if stored is not None:
            await _answer_from(stored, fingerprint, send, held)
            return
        lease = timedelta(seconds=scope["app"].state.settings.idempotency_answer_lease_seconds)
        claim = Claim(principal, key, fingerprint, scope["method"], scope["path"], lease)
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
        headers = dict(start.get("headers", []))
        content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
        answer = Answer(start["status"], content_type, b"".join(chunks), claim.fingerprint)
        final = answer.status != 503  # a 503 is never the answer to keep
        if claim.outcome_unknown:
            if final:
                _resolve_later(db, claim, answer, self.pending)
            await _error(
                send,
                503,
                "outcome_unknown",
                "the database connection failed during COMMIT: the change may or may not have "
                "been saved; retry with the same Idempotency-Key to learn which",
                retry_after=True,
            )
            return
        if claim.claimed and final:
            try:
                await anyio.to_thread.run_sync(_store, db, claim, answer)
            except Exception as exc:
                if not is_database_fault(exc):
                    raise
                log.warning("answer of key %r not stored yet: %s", claim.key, exc)
                _resolve_later(db, claim, answer, self.pending)
        await send(start)
        await send({"type": "http.response.body", "body": answer.body})


def _resolve_later(db: Database, claim: Claim, answer: Answer, pending: Pending) -> None:
    """Keep trying to store `answer` (while its lease lasts) in a background thread."""
    pending[(claim.principal, claim.key)] = answer
    thread = threading.Thread(
        target=_resolve, args=(db, claim, answer, pending), name="ducha-idempotency", daemon=True
    )
    thread.start()


def _resolve(
    db: Database, claim: Claim, answer: Answer, pending: Pending, pause: float = 0.25
) -> None:
    """Store the answer once the database answers; a missing row means nothing committed."""
    deadline = time.monotonic() + claim.lease.total_seconds()
    try:
        while time.monotonic() < deadline:
            try:
                if claim.outcome_unknown:
                    _await_fate(db, claim)
                _store(db, claim, answer)
                return
            except Exception as exc:
                if not is_database_fault(exc):
                    raise
            time.sleep(pause)
        log.warning("answer of key %r not stored within its lease", claim.key)
    finally:
        pending.pop((claim.principal, claim.key), None)


def _principal(scope: Scope) -> str | None:
    app = scope["app"]
    try:
        principal = app.state.authenticator.authenticate(Request(scope))
    except DomainError:
        return None
    return str(principal.sub)


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


def _await_fate(db: Database, claim: Claim) -> None:
    """Wait until no transaction holds this key uncommitted (the cut COMMIT may still be under
    way on the server): insert the key ourselves, which waits on the unique index for the other
    transaction to end, then roll back whatever happened."""
    with db.sessions() as session:
        with suppress(IntegrityError):  # raised when it committed: the row is there
            session.execute(
                insert(IdempotencyRecord).values(
                    principal=claim.principal,
                    key=claim.key,
                    fingerprint=claim.fingerprint,
                    method=claim.method,
                    path=claim.path,
                    created_at=clock.now(),
                )
            )
        session.rollback()


def _store(db: Database, claim: Claim, answer: Answer) -> None:
    """Put the answer on the key's row, if the row is this attempt's (it committed)."""

    def work(session: Session) -> None:
        record = session.get(IdempotencyRecord, (claim.principal, claim.key))
        if record is None or record.owner != claim.owner or record.status_code is not None:
            return
        record.status_code, record.content_type = answer.status, answer.content_type
        record.body, record.completed_at = answer.body, clock.now()

    db.transaction(work)


async def _answer_from(
    stored: IdempotencyRecord, fingerprint: str, send: Send, held: Answer | None
) -> None:
    if stored.fingerprint != fingerprint:
        await _error(
            send,
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
            first={"method": stored.method, "path": stored.path},
        )
        return
    if stored.status_code is not None:
        answer = Answer(
            stored.status_code,
            stored.content_type or "application/json",
            stored.body or b"",
            fingerprint,
        )
        await _replay(answer, send)
        return
    if held is not None:
        await _replay(held, send)
        return
    if stored.answer_due is not None and stored.answer_due > clock.now():
        await _error(
            send,
            409,
            "idempotency_key_in_flight",
            "the first request with this Idempotency-Key committed, but its answer is not "
            "stored yet; retry shortly",
            retry_after=True,
        )
        return
    await _error(
        send,
        409,
        "idempotency_answer_lost",
        "the first request with this Idempotency-Key committed, but its answer was not kept "
        "(the process stopped or lost the database before storing it); read the resource to "
        "see its state",
    )


async def _replay(answer: Answer, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [
                (b"content-type", answer.content_type.encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer.body})


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
