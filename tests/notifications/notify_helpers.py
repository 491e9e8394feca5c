"""Real receivers for notification tests (an SMTP server, an IM/SMS gateway) and REST drivers."""

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from conftest import ROOT, login
from fastapi.testclient import TestClient
from sqlalchemy import select, tuple_

from app.config import Settings
from app.events.models import EventConsumer, OutboxEvent
from app.kit.clock import clock
from app.main import create_app
from app.notifications.worker import CONSUMER, Notifier, notifier

API = "/api/v1"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 China time
USERS = {
    "office": ("320000-DCS", ["supervision_office"]),
    "head": ("320000-DCS", ["office_head"]),
    "fgw": ("320000-FGW", ["unit_handler"]),
    "fgw_head": ("320000-FGW", ["unit_head"]),
    "zjt": ("320000-ZJT", ["unit_handler"]),
    "jyt": ("320000-JYT", ["unit_handler"]),
    "leader": ("320000-GOV", ["leader"]),
    "admin": ("320000-GO", ["admin"]),
    "nanjing_office": ("320100-DCS", ["supervision_office"]),
    "nanjing_fgw": ("320100-FGW", ["unit_handler"]),
}
NAMES = {"fgw": "孙承办", "fgw_head": "周主任", "leader": "赵副省长", "office": "王督查"}


def as_(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = USERS[who]
    return login(client, sub=who, unit=unit, roles=roles, name=NAMES.get(who, who))


def do(client: TestClient, who: str, element: str, variables: dict) -> None:
    items = client.get(
        f"{API}/tasks", params={"mine": True, "limit": 500}, headers=as_(client, who)
    ).json()["items"]
    (task,) = [t for t in items if t["element_id"] == element]
    response = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": variables},
        headers=as_(client, who),
    )
    assert response.status_code == 200, response.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    port: int = field(default_factory=free_port)
    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    @contextmanager
    def running(self) -> Iterator["SmtpSink"]:
        # A free port can be taken by another test process before the server binds it: try
        # another (settings are built from `self.port` after this starts).
        for _attempt in range(10):
            controller = Controller(self, hostname="127.0.0.1", port=self.port)
            try:
                controller.start()
                break
            except OSError:
                self.port = free_port()
        else:
            raise RuntimeError("no free port for the SMTP server")
        try:
            yield self
        finally:
            controller.stop()


class HttpSink:
    """An IM/SMS gateway: a small HTTP server in a thread recording JSON bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                sink.bodies.append(json.loads(self.rfile.read(length)))
                sink.headers.append(dict(self.headers))
                self.send_response(sink.status)
                if 300 <= sink.status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/im/send"

    @contextmanager
    def running(self) -> Iterator["HttpSink"]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def channel_settings(settings: Settings, smtp: SmtpSink, http: HttpSink, **extra: Any) -> Settings:
    """The test settings with processes/ deployed, both channels at the sinks, no threads."""
    return settings.model_copy(
        update={
            "processes_dir": ROOT / "processes",
            "deploy_on_startup": True,
            "workers_enabled": False,  # the tests run the worker's rounds themselves
            "notifications_smtp_host": "127.0.0.1",
            "notifications_smtp_port": smtp.port,
            "notifications_smtp_security": "none",
            "notifications_smtp_from": "ducha@dcs.js.gov.cn",
            "notifications_smtp_from_name": "江苏省人民政府督查室",
            "notifications_http_url": http.url,
            "notifications_http_headers": {"X-Gateway-Token": "t0ken"},
            "notifications_base_url": "https://ducha.js.gov.cn",
            **extra,
        }
    )


@contextmanager
def service(settings: Settings) -> Iterator[TestClient]:
    """The service on those settings, its clock at 2026-03-02 09:00 China time."""
    clock.freeze(START)
    try:
        with TestClient(create_app(settings)) as client:
            yield client
    finally:
        clock.reset()


def worker(client: TestClient) -> "Rounds":
    """The notifications worker of this service (its rounds are run by the test)."""
    return Rounds(notifier(client.app.state.db, client.app.state.settings))


@dataclass
class Rounds:
    """Runs the worker's rounds until every committed event is consumed, then sends.

    On PostgreSQL the outbox hands out an event once every older transaction has ended — in any
    database of the server, so other test runs can hold it back for a moment: wait for them
    (bounded) instead of assuming.
    """

    notifier: Notifier

    def round(self, timeout: float = 30.0) -> int:
        done = 0
        deadline = time.monotonic() + timeout
        while True:
            done += self.notifier.plan()
            if not self._behind():
                break
            assert time.monotonic() < deadline, "the outbox did not settle"
            time.sleep(0.02)
        return done + self.notifier.deliver()

    def deliver(self) -> int:
        return self.notifier.deliver()

    def _behind(self) -> bool:
        with self.notifier.db.session() as s:
            cursor = s.get(EventConsumer, CONSUMER)
            after = (cursor.txid, cursor.last_id) if cursor else (0, 0)
            newer = select(OutboxEvent.id).where(
                tuple_(OutboxEvent.txid, OutboxEvent.id) > tuple_(*after)
            )
            return s.scalar(newer.limit(1)) is not None


def set_contact(client: TestClient, who: str, **body: Any) -> dict:
    body.setdefault("email", f"{who}@example.gov.cn")
    response = client.put(f"{API}/me/contact", json=body, headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def register_signed(client: TestClient, title: str = "关于推进重大项目建设的决定") -> dict:
    """A major decision assigned to 发改委 (due 1 April), its plan approved, signed for."""
    body = {
        "title": title,
        "content": "请发改委抓紧落实。",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": "320000-FGW",
        "explicit_due": "2026-04-01",
        "joint": False,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    registered = response.json()
    plan = {"plan_title": title, "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    return registered


def job_due(client: TestClient, instance_id: str, element: str) -> datetime:
    items = client.get(
        f"{API}/jobs", params={"process_instance_id": instance_id}, headers=as_(client, "admin")
    ).json()["items"]
    (due,) = [j["due_at"] for j in items if j["element_id"] == element]
    return datetime.fromisoformat(due.replace("Z", "+00:00"))


def fire(client: TestClient, instance_id: str, element: str, at: datetime | None = None) -> None:
    """Move the clock just past one timer (or to `at`) and let the scheduler run."""
    clock.freeze(at or job_due(client, instance_id, element) + timedelta(minutes=1))
    client.app.state.scheduler.run_due()


def notifications(client: TestClient, matter_id: str, who: str = "office") -> list[dict]:
    response = client.get(f"{API}/matters/{matter_id}/notifications", headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def timeline(client: TestClient, matter_id: str) -> list[dict]:
    detail = client.get(f"{API}/matters/{matter_id}", headers=as_(client, "office")).json()
    return detail["timeline"]
