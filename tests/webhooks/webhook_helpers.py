"""A real webhook receiver on 127.0.0.1, and the webhook rounds driven by hand."""

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from conftest import login
from fastapi.testclient import TestClient
from sqlalchemy import select, tuple_
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from app.config import Settings
from app.db import Database
from app.events.models import EventConsumer, OutboxEvent
from app.events.outbox import emit
from app.main import create_app
from app.webhooks.delivery import CONSUMER, Deliverer, Dispatcher

API = "/api/v1"
ADMIN = {"sub": "admin", "unit": "320000-DCS", "roles": ["admin"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """An HTTP server in a thread that verifies every signature and records what it got.

    `status` is what it answers; `location` makes it redirect. It can be stopped (its port is
    then closed) and started again on the same port.
    """

    def __init__(self, port: int | None = None, status: int = 204, body: bytes = b"") -> None:
        self.port = port or free_port()
        self.status = status
        self.body = body
        self.location: str | None = None
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []  # verified deliveries
        self.rejected: list[str] = []  # why a request failed verification
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ducha?from=test"

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"]["webhook-id"] for r in self.received]

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["event"] for r in self.received]

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.take(self.path, dict(self.headers.items()), body)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def take(self, path: str, headers: dict[str, str], body: bytes) -> None:
        try:
            assert self.secret is not None, "the test did not tell the receiver its secret"
            event = Verifier(self.secret).verify(body, headers)
        except (WebhookVerificationError, AssertionError) as exc:
            with self.lock:
                self.rejected.append(str(exc))
            return
        lowered = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.received.append({"path": path, "headers": lowered, "event": event})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def receiving(**kwargs: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kwargs).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextmanager
def service(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    """The service without its background workers (tests run the rounds), signed in as admin."""
    settings = settings.model_copy(update={"workers_enabled": False, **changes})
    with TestClient(create_app(settings)) as client:
        client.headers.update(login(client, **ADMIN))
        yield client


def subscribe(client: TestClient, receiver: Receiver, **body: Any) -> dict[str, Any]:
    """Subscribe the receiver; it learns the secret from the answer."""
    body = {"url": receiver.url, "event_types": ["*"], **body}
    response = client.post(f"{API}/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secret = created["secret"]
    return created


def emit_event(db: Database, type_: str, units: list[str], **data: Any) -> str:
    """Commit one event as a change would; its CloudEvent id."""

    def work(s: Any) -> str:
        event = emit(s, type_, subject=str(uuid.uuid4()), data=data, units=units)
        return str(event.event_id)

    return db.transaction(work)


def dispatch(client: TestClient) -> int:
    """Dispatch every committed event.

    On PostgreSQL the outbox shows an event only once every transaction older than it has
    ended, on the whole server (other test runs too): wait for that, a few seconds at most.
    """
    db: Database = client.app.state.db
    dispatcher = Dispatcher(db)
    done = 0
    deadline = time.monotonic() + 30
    while True:
        done += dispatcher.round()
        if _all_read(db) or time.monotonic() > deadline:
            return done
        time.sleep(0.02)


def _all_read(db: Database) -> bool:
    with db.session() as s:
        cursor = s.get(EventConsumer, CONSUMER)
        position = (cursor.txid, cursor.last_id) if cursor else (0, 0)
        newer = select(OutboxEvent.id).where(
            tuple_(OutboxEvent.txid, OutboxEvent.id) > tuple_(*position)
        )
        return s.scalar(newer.limit(1)) is None


def deliverer(client: TestClient, owner: str = "test-worker", **changes: Any) -> Deliverer:
    settings = client.app.state.settings.model_copy(update=changes)
    return Deliverer(client.app.state.db, settings, owner=owner)


def run_rounds(client: TestClient) -> None:
    """Dispatch every new event, then deliver until nothing is due."""
    dispatch(client)
    worker = deliverer(client)
    while worker.round():
        pass


def deliveries(client: TestClient, hook: dict[str, Any], **params: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/webhooks/{hook['id']}/deliveries", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def body_of(record: dict[str, Any]) -> str:
    return json.dumps(record["event"], ensure_ascii=False)
