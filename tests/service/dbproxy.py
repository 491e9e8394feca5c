"""A loopback TCP proxy between the service and PostgreSQL that misbehaves on demand.

Modes: `pass` forwards; `refuse` resets the open connections and closes the listening socket
(connection refused, as from a server that went down); `reset`
resets every open connection and each new one; `blackhole` accepts and forwards nothing (the
bytes wait, as they would behind a partition, and flow again on `pass`); `cut_after_commit`
forwards the next COMMIT (a simple query, or pipelined: a Parse of "COMMIT"), lets the server
answer, then cuts the client off before the answer reaches it (committed, and the client cannot
know); `cut_before_commit` cuts the connection instead of forwarding that COMMIT (rolled back,
and the client cannot know). The two cut modes fire once, then the proxy turns to `after_cut`
(`pass` unless set).
"""

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy.engine import make_url

COMMIT = b"Q" + struct.pack("!I", 4 + len(b"COMMIT\0")) + b"COMMIT\0"
# In a pipeline (the audit append sent with its COMMIT, app.db.send_last) COMMIT is a Parse of
# the unnamed statement with no parameters.
PIPELINED_COMMIT = b"P" + struct.pack("!I", 4 + 1 + len(b"COMMIT\0") + 2) + b"\0COMMIT\0\0\0"
MODES = {"pass", "refuse", "reset", "blackhole", "cut_after_commit", "cut_before_commit"}


class DbProxy:
    """One listening port on 127.0.0.1 forwarding to `upstream` (host, port)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.commits_cut = 0
        self._cutting = ""
        self.after_cut = "pass"  # the mode a cut leaves behind
        self.commits_to_pass = 0  # COMMITs let through before the cut (a key's lookup has one)
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)
        threading.Thread(target=self._accept, name="dbproxy", daemon=True).start()

    def url(self, database_url: str) -> str:
        """`database_url` pointed at this proxy."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def set(self, mode: str) -> None:
        """Switch mode; `reset` resets every open connection now."""
        assert mode in MODES, mode
        with self._lock:
            self.mode = mode
            if mode == "refuse" and self._listener is not None:
                self._listener.close()
                self._listener = None
            if mode != "refuse" and self._listener is None:
                self._listen(self.port)
            if mode in ("reset", "refuse"):  # a server that refuses has dropped the old ones too
                for pair in self._pairs:
                    _reset(*pair)
                self._pairs.clear()

    @contextmanager
    def mode_for(self, mode: str) -> Iterator[None]:
        self.set(mode)
        try:
            yield
        finally:
            self.set("pass")

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for pair in self._pairs:
                _reset(*pair)
            self._pairs.clear()

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 2  # the old listener is freed once its accept returns
        while True:
            try:
                listener.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        bound: int = listener.getsockname()[1]
        return bound

    def _accept(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.02)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == "reset":
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        while self.mode == "blackhole" and not self._stop.is_set():
            time.sleep(0.02)  # the server is not reached before the partition ends
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)
            return
        server.settimeout(None)
        with self._lock:
            self._pairs.append((client, server))
        muted = threading.Event()  # the server's answers are dropped (a cut is under way)
        threading.Thread(target=self._pump, args=(server, client, None, muted), daemon=True).start()
        self._pump(client, server, muted, None)

    def _pump(
        self,
        source: socket.socket,
        target: socket.socket,
        mute: threading.Event | None,
        muted: threading.Event | None,
    ) -> None:
        """Copy one direction; `mute` is given upstream (to cut), `muted` downstream."""
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.mode == "blackhole" and not self._stop.is_set():
                    time.sleep(0.02)
                if mute is not None and _commits(data) and self._take_cut():
                    self._cut(source, target, data, mute)
                    return
                if muted is not None and muted.is_set():
                    continue
                target.sendall(data)
        except OSError:
            pass
        _close(source, target)

    def _take_cut(self) -> bool:
        with self._lock:
            if not self.mode.startswith("cut_"):
                return False
            if self.commits_to_pass > 0:
                self.commits_to_pass -= 1
                return False
            self._cutting = self.mode
            self.commits_cut += 1
        return True

    def _cut(
        self, client: socket.socket, server: socket.socket, data: bytes, mute: threading.Event
    ) -> None:
        mute.set()
        with self._lock:
            if (client, server) in self._pairs:
                self._pairs.remove((client, server))
        if self._cutting == "cut_after_commit":
            server.sendall(data)
            time.sleep(0.2)  # the server commits and answers; the answer is dropped
        _reset(client, server)
        self.set(self.after_cut)


def _commits(data: bytes) -> bool:
    return COMMIT in data or PIPELINED_COMMIT in data


def _reset(*sockets: socket.socket) -> None:
    """Abort: RST to the peer. `shutdown` first wakes a pump blocked in `recv` on the socket
    (a plain close would wait for it, and the peer would hear nothing)."""
    for sock in sockets:
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
