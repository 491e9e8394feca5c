"""Several delivery workers on one database: each delivery taken by one worker at a time; a
worker that dies mid-delivery causes one redelivery with the same webhook-id."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from webhook_helpers import (
    deliverer,
    deliveries,
    dispatch,
    emit_event,
    receiving,
    service,
    subscribe,
)

from app.kit.clock import clock
from app.webhooks.models import WebhookAttempt


@pytest.fixture
def client(settings, frozen_clock):
    with service(settings) as client:
        yield client


def test_two_workers_never_send_the_same_delivery(client, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent workers are a PostgreSQL deployment (SQLite has one process)")
    db = client.app.state.db
    with receiving() as receiver:
        subscribe(client, receiver)
        ids = [emit_event(db, "task.created", ["320000-FGW"], n=n) for n in range(40)]
        dispatch(client)
        workers = [deliverer(client, owner=name, webhook_batch_size=3) for name in ("w1", "w2")]
        sent: Counter[str] = Counter()
        start = threading.Barrier(2)

        def run(worker) -> None:
            start.wait()
            while done := worker.round():
                sent[worker.owner] += done

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert Counter(receiver.ids()) == Counter(ids)  # each exactly once
    assert sent["w1"] + sent["w2"] == 40 and sent["w1"] > 0 and sent["w2"] > 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookAttempt)) == 40


def test_a_crashed_worker_causes_one_redelivery_with_the_same_id(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        event_id = emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        crashed, survivor = deliverer(client, owner="crashed"), deliverer(client, owner="survivor")
        (parcel,) = db.transaction(crashed.take)
        crashed.send(parcel)  # it sent, then died before recording
        assert survivor.round() == 0  # the lease still holds
        clock.advance(crashed.lease + timedelta(seconds=1))
        assert survivor.round() == 1
        assert survivor.round() == 0
        clock.advance(timedelta(days=2))
        assert survivor.round() == crashed.round() == 0
    assert receiver.ids() == [event_id, event_id]  # one redelivery, same webhook-id
    (item,) = deliveries(client, hook)
    assert item["status"] == "delivered" and item["attempts"] == 1


def test_a_late_worker_does_not_undo_the_one_that_took_over(client):
    db = client.app.state.db
    with receiving(status=500) as receiver:
        hook = subscribe(client, receiver)
        emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        slow, other = deliverer(client, owner="slow"), deliverer(client, owner="other")
        (parcel,) = db.transaction(slow.take)
        failed = slow.send(parcel)
        clock.advance(slow.lease + timedelta(seconds=1))
        receiver.status = 200
        assert other.round() == 1  # took it over and delivered it
        db.transaction(lambda s: slow.record(s, parcel, failed))  # the slow one reports late
    (item,) = deliveries(client, hook)
    assert item["status"] == "delivered"
    assert sorted(a["status"] for a in item["attempt_log"]) == ["delivered", "failed"]
