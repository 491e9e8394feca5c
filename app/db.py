"""Database engine, sessions and the unit of work: one transaction per request, with retries."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from app.config import Settings
from app.errors import ConcurrentUpdate

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


class Conflict(Exception):
    """Raised inside a transaction to ask for a retry (another writer won the race)."""


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, StaleDataError | Conflict):
        return True
    # PostgreSQL serialization failures / deadlocks, SQLite "database is locked".
    if isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None)
        return code in {"40001", "40P01"} or "database is locked" in str(exc.orig)
    return False


class Database:
    """The engine, a session factory, and transactions that commit before a response is sent."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = make_engine(settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.conflict_retries = settings.conflict_retries
        # SQLite has one writer: serialise this process's transactions instead of busy-waiting.
        self._sqlite_lock = threading.RLock() if self.is_sqlite else None
        self._after_commit = threading.local()

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
        """Run `work` in one transaction, committed before returning; retried on conflicts."""
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.conflict_retries + 1),
            wait=wait_random_exponential(multiplier=0.002, max=0.05),
            reraise=True,
        )
        try:
            return retrying(self._attempt, work)
        except (StaleDataError, Conflict) as exc:
            raise ConcurrentUpdate("another request changed this object; try again") from exc

    def _attempt(self, work: Callable[[Session], T]) -> T:
        callbacks: list[Callable[[], None]] = []
        self._after_commit.callbacks = callbacks
        try:
            with self.session() as session:
                result = work(session)
        finally:
            self._after_commit.callbacks = None
        for callback in callbacks:
            callback()
        return result

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current transaction has committed (never on rollback)."""
        callbacks = getattr(self._after_commit, "callbacks", None)
        if callbacks is None:
            callback()
        else:
            callbacks.append(callback)


def make_engine(settings: Settings) -> Engine:
    """An engine tuned for the backend: WAL SQLite, or a pooled PostgreSQL with timeouts."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.db_statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={settings.db_statement_timeout_ms}"
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
