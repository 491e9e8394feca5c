"""Real changes over REST reach a real receiver; a refused change sends nothing; the service's
own background workers deliver."""

import json
import time
from pathlib import Path

import pytest
from conftest import TESTER, deploy, login, ready, start
from sqlalchemy import select
from webhook_helpers import API, deliveries, receiving, run_rounds, service, subscribe

from app.events.models import OutboxEvent

FORM = (Path(__file__).resolve().parent.parent / "engine" / "forms" / "report.json").read_bytes()


@pytest.fixture
def client(settings, frozen_clock):
    with service(settings) as client:
        client.headers.update(login(client, **TESTER))  # every role: deploy, start, work, admin
        yield client


def _start_report(client) -> tuple[dict, str]:
    deploy(client, "user_task_form.bpmn", {"report.json": FORM})
    started = start(client, "file_report", variables={"unit": "east"})
    return started, ready(started, "write_report")[0]["id"]


def test_committed_changes_arrive_and_a_refused_one_sends_nothing(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver, event_types=["instance.*", "task.*"])
        started, task_id = _start_report(client)
        # a completion that breaks the form: 422, rolled back, no event and no delivery
        refused = client.post(
            f"{API}/tasks/{task_id}/complete",
            json={"variables": {"title": "Visit", "pages": "many"}},
        )
        assert refused.status_code == 422
        done = client.post(
            f"{API}/tasks/{task_id}/complete", json={"variables": {"title": "Visit", "pages": 3}}
        )
        assert done.status_code == 200, done.text
        run_rounds(client)

    assert receiver.rejected == []
    with db.session() as s:
        emitted = {
            str(e.event_id): e.type
            for e in s.scalars(select(OutboxEvent))
            if e.type.startswith(("ducha.instance.", "ducha.task."))
        }
    assert sorted(receiver.ids()) == sorted(emitted)  # each committed event, once here
    received = receiver.events()
    kinds = {e["type"] for e in received}
    assert {"ducha.instance.started", "ducha.task.created", "ducha.task.completed"} <= kinds
    (completed,) = [e for e in received if e["type"] == "ducha.task.completed"]
    assert completed["data"]["task_id"] == task_id
    assert "many" not in json.dumps(received)  # nothing of the refused completion
    assert all(e["data"].get("instance_id") == started["id"] for e in received)
    assert {d["status"] for d in deliveries(client, hook)} == {"delivered"}


def test_the_service_workers_deliver_by_themselves(settings):
    fast = {
        "workers_enabled": True,
        "webhook_dispatch_interval_seconds": 0.05,
        "webhook_delivery_interval_seconds": 0.05,
    }
    with receiving() as receiver, service(settings, **fast) as client:
        client.headers.update(login(client, **TESTER))
        subscribe(client, receiver, event_types=["instance.started"])
        started, _ = _start_report(client)
        deadline = time.monotonic() + 30
        while not receiver.events() and time.monotonic() < deadline:
            time.sleep(0.05)
    (event,) = receiver.events()
    assert event["type"] == "ducha.instance.started"
    assert event["data"]["instance_id"] == started["id"]
