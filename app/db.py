"""Database engine, sessions and the unit of work: one transaction per request, with retries."""

import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from app.config import Settings
from app.kit.errors import ConcurrentUpdate, OutcomeUnknown
from app.watchdog import Watchdog

T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base of every table."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class RequestWrites:
    """Whether a transaction of the current request has committed (set per request)."""

    committed: bool = False


# Set by the web layer for each request: a fault after a commit must not say "nothing saved".
WRITES: ContextVar[RequestWrites | None] = ContextVar("ducha_request_writes", default=None)


class StaleView(Exception):
    """The work decided on rows kept from an earlier transaction, and the database no longer
    holds them so (its write found nothing): run it again at once on what the database holds.
    A transaction runs again this way once, without waiting and without using up a retry."""


class Conflict(Exception):
    """Raised inside a transaction to ask for a retry (another writer won the race)."""


def is_database_fault(exc: BaseException) -> bool:
    """The database could not be reached or did not answer in time (503, never 500).

    A server that answered with a refusal of this request (a constraint, bad SQL) is not a
    fault of the database: that stays a bug of ours, loud as a 500.
    """
    if isinstance(
        exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout | OutcomeUnknown
    ):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _answered_by_server(exc: BaseException) -> bool:
    """The server itself refused (an SQLSTATE came back): the transaction is rolled back."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) is not None


# Statements that a transaction sends with its COMMIT (`send_last`), by connection.
_LAST: WeakKeyDictionary[Connection, list[tuple[Any, dict[str, Any]]]] = WeakKeyDictionary()


def send_last(session: Session, statement: Any, params: dict[str, Any]) -> None:
    """Send `statement` as the last of the session's transaction.

    On a `Database`'s PostgreSQL engine it goes in one round trip with the COMMIT (psycopg's
    pipeline): a row lock it takes is then held only while the server commits, with no wait for
    this process's next turn at the GIL in between — the audit chain's head row is such a lock,
    taken by every change. Its errors are the COMMIT's. Elsewhere (SQLite, a bare engine) it is
    executed at once.
    """
    connection = session.connection()
    if event.contains(connection.engine, "commit", _commit_with_last):
        _LAST.setdefault(connection, []).append((statement, params))
    else:
        connection.execute(statement, params)


def _commit_with_last(connection: Connection) -> None:
    """On the engine's commit event: the waiting statements, then COMMIT, in one pipeline."""
    waiting = _LAST.pop(connection, None)
    if not waiting:
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        with raw.pipeline():
            for statement, params in waiting:
                connection.execute(statement, params)
            raw.commit()  # sends COMMIT and syncs: every result, or the first error, is back
    except BaseException as exc:
        # As SQLAlchemy treats a failed COMMIT (its commit event runs outside that handling):
        # the driver's error wrapped, a lost connection invalidated.
        connection._handle_dbapi_exception(exc, None, None, None, None)


def _forget_last(connection: Connection) -> None:
    _LAST.pop(connection, None)


_SCOPED: set[str] = set()


def transaction_scoped(key: str) -> str:
    """Declare `Session.info[key]` as the session transaction's own: it is forgotten when the
    transaction or a savepoint ends (commit or rollback), never at the end of a flush."""
    _SCOPED.add(key)
    return key


@event.listens_for(Session, "after_transaction_end")
def _forget_scoped(session: Session, transaction: SessionTransaction) -> None:
    # A flush runs in a subtransaction of its own: its end forgets nothing.
    if transaction.parent is None or transaction.nested:
        for key in _SCOPED:
            session.info.pop(key, None)


# A retry waits a random time up to 2 ms, 4 ms, 8 ms … (at most 50 ms).
RETRY_WAIT_FIRST, RETRY_WAIT_MAX = 0.002, 0.05


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, StaleDataError | Conflict | StaleView):
        return True
    # PostgreSQL serialization failures / deadlocks, SQLite "database is locked".
    if isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None)
        return code in {"40001", "40P01"} or "database is locked" in str(exc.orig)
    return False


class Database:
    """The engine, a session factory, and transactions that commit before a response is sent.

    `info` is copied into every session's `Session.info`: per-database caches that code holding
    only a session can reach (the unit tree, app.org.service).
    """

    def __init__(self, settings: Settings, info: dict[str, Any] | None = None) -> None:
        self.url = settings.database_url
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = make_engine(settings)
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, info=info or {}
        )
        self.conflict_retries = settings.conflict_retries
        # SQLite has one writer: serialise this process's transactions instead of busy-waiting.
        self._sqlite_lock = threading.RLock() if self.is_sqlite else None
        self._after_commit = threading.local()
        # Set while the DBAPI COMMIT of this thread's transaction is under way.
        self._committing = threading.local()
        event.listen(self.engine, "commit", self._commit_starts)
        if not self.is_sqlite:  # after _commit_starts: a fault there is an unknown outcome
            event.listen(self.engine, "commit", _commit_with_last)
            event.listen(self.engine, "rollback", _forget_last)
        self.watchdog: Watchdog | None = None
        if not self.is_sqlite:
            stall, connect_args = settings.db_stall_check_seconds, postgres_connect_args(settings)
            self.watchdog = Watchdog(self.engine, stall, connect_args)
        # Called with each transaction's session after its work, just before it commits.
        self.before_commit: list[Callable[[Database, Session], None]] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        lock = self._sqlite_lock
        if lock is not None:
            lock.acquire()
        try:
            with self.sessions() as session, session.begin():
                yield session
        finally:
            if lock is not None:
                lock.release()

    def transaction(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, committed before returning; retried on conflicts.

        A retry waits a random time up to 2 ms, 4 ms, 8 ms ... (at most 50 ms), so that
        writers that collided do not collide again; after the last, 409 `concurrent_update`.
        The first `StaleView` runs the work again at once, without using up a retry.
        """
        attempt, replayed = 0, False
        while True:
            try:
                return self._attempt(work)
            except Exception as exc:  # raised on unless a lost race with retries left
                if isinstance(exc, StaleView) and not replayed:
                    replayed = True  # run again at once, once, not counted as a retry
                    continue
                if not _retryable(exc):
                    raise
                if attempt == self.conflict_retries:
                    if isinstance(exc, StaleDataError | Conflict | StaleView):
                        raise ConcurrentUpdate(
                            "another request changed this object; try again"
                        ) from exc
                    raise
            time.sleep(random.uniform(0, min(RETRY_WAIT_MAX, RETRY_WAIT_FIRST * 2**attempt)))
            attempt += 1

    def _attempt(self, work: Callable[[Session], T]) -> T:
        callbacks: list[Callable[[], None]] = []
        unknown: list[Callable[[], None]] = []
        self._after_commit.callbacks = callbacks
        self._after_commit.unknown = unknown
        self._committing.now = False
        try:
            with self.session() as session:
                result = work(session)
                for hook in self.before_commit:
                    hook(self, session)
        except Exception as exc:
            if not self._outcome_unknown(exc):
                raise
            if not unknown:
                raise OutcomeUnknown(
                    "the database connection failed during COMMIT: the change may or may not "
                    "have been saved; retry with the same Idempotency-Key, or read the resource"
                ) from exc
            # Someone registered to learn the truth later (an Idempotency-Key's claim).
            for callback in unknown:
                callback()
            return result
        finally:
            self._after_commit.callbacks = None
            self._after_commit.unknown = None
            self._committing.now = False
        writes = WRITES.get()
        if writes is not None:
            writes.committed = True
        for callback in callbacks:
            callback()
        return result

    def _commit_starts(self, _connection: Any) -> None:
        self._committing.now = True

    def _outcome_unknown(self, exc: BaseException) -> bool:
        """The connection failed while COMMIT was under way: nobody knows whether it committed.

        SQLite commits in this process: a failed COMMIT there has rolled back. A server that
        answered COMMIT with an error (a serialization failure) has rolled back too.
        """
        if self.is_sqlite or not getattr(self._committing, "now", False):
            return False
        return is_database_fault(exc) and not _answered_by_server(exc)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current transaction has committed (never on rollback)."""
        callbacks = getattr(self._after_commit, "callbacks", None)
        if callbacks is None:
            callback()
        else:
            callbacks.append(callback)

    def if_outcome_unknown(self, callback: Callable[[], None]) -> None:
        """Run `callback` if the current transaction's COMMIT fails with its outcome unknown.

        The transaction then returns its result as if committed (instead of raising
        `OutcomeUnknown`): whoever registered takes on finding out whether it did.
        """
        unknown = getattr(self._after_commit, "unknown", None)
        if unknown is None:
            raise RuntimeError("if_outcome_unknown outside a transaction")
        unknown.append(callback)

    def close(self) -> None:
        """Stop the watchdog and close every pooled connection."""
        if self.watchdog is not None:
            self.watchdog.stop()
        self.engine.dispose()


def make_engine(settings: Settings) -> Engine:
    """An engine tuned for the backend: WAL SQLite, or a pooled PostgreSQL with timeouts."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # The most recently used connection first: the connections in use stay warm (the
        # server's catalogue cache, statements psycopg prepared after five runs and their
        # plans — a query over five years of monthly partitions costs ~3 ms to plan, a cold
        # connection's first ~28 ms); the others idle, instead of a light load visiting all.
        pool_use_lifo=True,
        pool_pre_ping=settings.db_ping_idle_seconds == 0,
        connect_args=postgres_connect_args(settings),
    )
    if settings.db_ping_idle_seconds > 0:
        _ping_when_idle(engine, settings.db_ping_idle_seconds)
    return engine


def postgres_connect_args(settings: Settings) -> dict[str, Any]:
    """libpq's bounds: a connection attempt, a silent link, a statement, an idle transaction;
    and the parallel workers a statement may launch (`db_parallel_workers`, none by default: the
    service's statements read a page or a scope's open work, where starting workers costs more
    than they save — a city's month statistics 22-25 ms with two, 15 ms without — and the other
    requests want those cores)."""
    options = [
        f"-c statement_timeout={settings.db_statement_timeout_ms}",
        f"-c idle_in_transaction_session_timeout={settings.db_idle_in_transaction_timeout_ms}",
        f"-c max_parallel_workers_per_gather={settings.db_parallel_workers}",
    ]
    return {
        "connect_timeout": settings.db_connect_timeout_seconds,
        "keepalives": 1,
        "keepalives_idle": settings.db_keepalive_idle_seconds,
        "keepalives_interval": settings.db_keepalive_interval_seconds,
        "keepalives_count": settings.db_keepalive_count,
        "tcp_user_timeout": settings.db_tcp_user_timeout_ms,
        "options": " ".join(options),
    }


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it sat idle for `idle_seconds`.

    `pool_pre_ping` costs a round trip on every checkout (~0.1-0.25 ms per request here); a
    connection in steady use has just proved itself. A dead one found here is replaced at once
    (DisconnectionError makes the pool reconnect); one that dies while in use fails that
    request with 503 and the pool drops every connection of that generation.
    """

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("a pooled connection did not answer its ping") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # PostgreSQL computes the audit chain's hashes itself (app.identity.audit); SQLite is taught.
    dbapi_connection.create_function("ducha_sha256", 1, _sha256_hex, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
