"""The stall watchdog: requests stuck on a database that stopped answering fail within seconds."""

import logging
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)


class Watchdog:
    """Fails the requests stuck on a database that stopped answering, within a few seconds.

    TCP keepalives and `tcp_user_timeout` notice a dead link only where packets go unanswered;
    a link that accepts bytes and never answers (a stuck middlebox, a frozen server) would hold
    a request for the whole outage. So: when a connection has been checked out longer than
    `db_stall_check_seconds`, the watchdog opens a fresh connection (bounded by the connect
    timeout). If that fails, the database is unreachable: every connection held past the stall
    limit has its socket shut down, its request fails with a database error (503), and the
    pool reconnects once the database answers again. A slow statement on a healthy server
    passes the check and is left to `statement_timeout`.
    """

    def __init__(self, engine: Engine, stall: float, connect_args: dict[str, Any]) -> None:
        self.engine = engine
        self.stall = stall
        self.tick = min(0.25, self.stall / 2)
        self.connect_args = connect_args
        self._held: dict[int, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._probed_at = 0.0
        # Runs only while connections are in use: an idle service has no thread ticking.
        self._thread: threading.Thread | None = None
        event.listen(engine, "checkout", self._checkout, insert=True)  # before the idle ping
        event.listen(engine, "checkin", self._checkin)

    def stop(self) -> None:
        self._stop.set()

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        with self._lock:
            self._held[id(record)] = (dbapi_connection, time.monotonic())
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="ducha-db-watchdog", daemon=True
                )
                self._thread.start()

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        with self._lock:
            self._held.pop(id(record), None)

    def _run(self) -> None:
        try:
            self._watch()
        finally:  # whatever ended it, the next checkout starts a new one
            with self._lock:
                self._thread = None

    def _watch(self) -> None:
        idle_since = time.monotonic()
        while not self._stop.wait(self.tick):
            now = time.monotonic()
            with self._lock:
                for key in [k for k, (c, _) in self._held.items() if getattr(c, "closed", False)]:
                    del self._held[key]  # closed without a checkin (a failed checkout)
                if self._held:
                    idle_since = now
                elif now - idle_since > 10:  # nothing in use for a while: stop until needed
                    return
                stuck = [c for c, since in self._held.values() if now - since >= self.stall]
            if not stuck or now - self._probed_at < self.stall:
                continue
            self._probed_at = now
            if not self.probe():
                log.warning("the database does not answer: %d connections cut", len(stuck))
                for connection in stuck:
                    _cut(connection)

    def probe(self) -> bool:
        """Does the server answer a new connection within the connect timeout?"""
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        try:
            connection = self.engine.dialect.dbapi.connect(  # type: ignore[union-attr]
                *cargs, **{**cparams, **self.connect_args}
            )
        except self.engine.dialect.dbapi.Error as exc:  # type: ignore[union-attr]
            # Connecting failed: was it the server that said no? A refusal from the server
            # itself (too many clients, authentication) is an answer: the link works and the
            # stuck requests are only slow.
            answered = "FATAL:" in str(exc)
            log.warning("stall probe: %s (%s)", exc, "server answered" if answered else "no link")
            return answered
        connection.close()
        return True


def _cut(dbapi_connection: Any) -> None:
    """Shut the connection's socket down: a call blocked on it fails at once."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None or pgconn.status != 0:  # 0: CONNECTION_OK
        return
    try:
        duplicate = socket.socket(fileno=os.dup(pgconn.socket))
    except OSError:
        return
    with duplicate:
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        except OSError:
            return
