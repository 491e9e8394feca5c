"""Delivery to real receivers on 127.0.0.1: signed, at least once, retried, filtered, guarded.

Events are committed here with `emit` in a real transaction, as a change would; the
end-to-end tests (test_end_to_end.py) make them with real changes over REST.
"""

import threading
from datetime import datetime, timedelta

import pytest
from webhook_helpers import (
    API,
    Receiver,
    deliverer,
    deliveries,
    dispatch,
    emit_event,
    receiving,
    run_rounds,
    service,
    subscribe,
)

from app.events.outbox import emit
from app.kit.clock import clock


@pytest.fixture
def client(settings, frozen_clock):
    with service(settings) as client:
        yield client


def test_each_committed_event_arrives_signed_and_no_rolled_back_one(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        ids = [emit_event(db, "task.created", ["320000-FGW"], task_id=f"t{i}") for i in range(3)]

        def fails(s):
            emit(s, "task.completed", subject="t-lost", data={}, units=["320000-FGW"])
            raise ValueError("the change fails after its event was written")

        with pytest.raises(ValueError):
            db.transaction(fails)
        run_rounds(client)

    assert receiver.rejected == []  # every signature verified
    assert sorted(receiver.ids()) == sorted(ids)  # each committed event, none rolled back
    first = receiver.received[0]
    assert first["path"] == "/hooks/ducha?from=test"
    assert first["headers"]["content-type"] == "application/cloudevents+json"
    assert first["headers"]["webhook-id"] == first["event"]["id"]
    event = first["event"]
    assert (event["specversion"], event["type"]) == ("1.0", "ducha.task.created")
    assert event["duchaunits"] == "320000-FGW" and event["data"]["task_id"].startswith("t")
    items = deliveries(client, hook)
    assert {d["status"] for d in items} == {"delivered"} and len(items) == 3
    (attempt,) = items[0]["attempt_log"]
    assert attempt["status"] == "delivered" and attempt["response_code"] == 204
    assert attempt["duration_ms"] >= 0 and attempt["error"] is None


def test_types_and_unit_scope_filter(client):
    db = client.app.state.db
    with receiving() as nanjing, receiving() as urging:
        # an event matches when one of its units is the scope unit or below it
        subscribe(client, nanjing, unit_scope=["320100-GOV"])
        subscribe(client, urging, event_types=["matter.urged", "ducha.rectification.*"])
        city = emit_event(db, "task.created", ["320100-FGW"])
        county = emit_event(db, "matter.urged", ["320000-DCS", "320102-FGJ"], kind="urge")
        wuxi = emit_event(db, "task.created", ["320200-FGW"])
        province = emit_event(db, "task.created", ["320000-GOV"])
        rect = emit_event(db, "rectification.due", ["320200-FGW"])
        run_rounds(client)
    assert sorted(nanjing.ids()) == sorted([city, county])
    assert sorted(urging.ids()) == sorted([county, rect])
    assert wuxi not in nanjing.ids() + urging.ids() and province not in nanjing.ids()


def test_events_before_the_subscription_are_not_delivered(client):
    db = client.app.state.db
    with receiving() as receiver:
        before = emit_event(db, "task.created", ["320000-FGW"])
        subscribe(client, receiver)
        after = emit_event(db, "task.created", ["320000-FGW"])
        run_rounds(client)
    assert receiver.ids() == [after] and before != after


def test_inactive_subscriptions_get_nothing(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        emit_event(db, "task.created", ["320000-FGW"])
        client.patch(f"{API}/webhooks/{hook['id']}", json={"active": False})
        run_rounds(client)
    assert receiver.ids() == [] and deliveries(client, hook) == []


def test_a_receiver_that_was_down_gets_the_backlog(client):
    db = client.app.state.db
    receiver = Receiver()  # not started: its port is closed
    hook = subscribe(client, receiver)
    ids = [emit_event(db, "task.created", ["320000-FGW"], n=n) for n in range(5)]
    run_rounds(client)
    items = deliveries(client, hook, status="pending")
    assert len(items) == 5 and receiver.received == []
    attempt = items[0]["attempt_log"][0]
    assert attempt["status"] == "failed" and attempt["response_code"] is None
    assert "Connection" in attempt["error"] or "refused" in attempt["error"]
    # full jitter: the first retry comes within its ceiling (10 s), at least 1 s later
    for item in items:
        wait = _at(item["next_attempt_at"]) - clock.now()
        assert timedelta(seconds=1) <= wait <= timedelta(seconds=10)

    run_rounds(client)  # nothing is due yet: no new attempt
    assert all(len(d["attempt_log"]) == 1 for d in deliveries(client, hook))

    receiver.start()
    try:
        clock.advance(timedelta(seconds=10))
        run_rounds(client)
    finally:
        receiver.stop()
    assert sorted(receiver.ids()) == sorted(ids) and receiver.rejected == []
    delivered = deliveries(client, hook, status="delivered")
    assert len(delivered) == 5
    assert [a["status"] for a in delivered[0]["attempt_log"]] == ["failed", "delivered"]


def test_failed_after_the_schedule_then_retried_by_hand(client):
    db = client.app.state.db
    schedule = [5.0, 30.0, 120.0]  # four attempts, then failed
    worker = deliverer(client, webhook_retry_schedule_seconds=schedule)
    with receiving(status=503, body=b"maintenance " * 100) as receiver:
        hook = subscribe(client, receiver)
        event_id = emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        for ceiling in [*schedule, 0]:
            assert worker.round() == 1
            clock.advance(timedelta(seconds=ceiling))
        assert worker.round() == 0
        (failed,) = deliveries(client, hook, status="failed")
        assert failed["attempts"] == 4 and failed["next_attempt_at"] is None
        assert failed["last_status_code"] == 503 and failed["last_error"] == "answered HTTP 503"
        excerpt = failed["attempt_log"][-1]["response_excerpt"]
        assert excerpt.startswith("maintenance") and len(excerpt.encode()) <= 512
        assert receiver.ids() == [event_id] * 4  # the same webhook-id every time

        receiver.status = 200
        url = f"{API}/webhooks/{hook['id']}/deliveries/{failed['id']}/retry"
        retried = client.post(url)
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        assert worker.round() == 1
        assert deliveries(client, hook)[0]["status"] == "delivered"
        # a delivered one can be sent again on request (receivers drop repeats by webhook-id)
        assert client.post(url).status_code == 200 and worker.round() == 1
    assert receiver.ids() == [event_id] * 6
    other = client.post(f"{API}/webhooks/{hook['id']}/deliveries/{hook['id']}/retry")
    assert other.status_code == 404


def test_retry_is_refused_while_a_worker_holds_the_delivery(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        worker = deliverer(client)
        (parcel,) = db.transaction(worker.take)  # taken, not yet sent
        url = f"{API}/webhooks/{hook['id']}/deliveries/{parcel.delivery_id}/retry"
        response = client.post(url)
        assert response.status_code == 409 and response.json()["code"] == "delivery_in_flight"
        worker.deliver(parcel)
        client.patch(f"{API}/webhooks/{hook['id']}", json={"active": False})
        assert client.post(url).json()["code"] == "webhook_inactive"


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(client):
    db = client.app.state.db
    with receiving() as target, receiving(status=302) as redirecting:
        redirecting.location = target.url
        target.secret = "whsec_" + "A" * 32
        hook = subscribe(client, redirecting)
        emit_event(db, "task.created", ["320000-FGW"])
        run_rounds(client)
    (item,) = deliveries(client, hook)
    assert item["status"] == "pending" and item["last_status_code"] == 302
    assert item["last_error"] == f"redirect to {target.url} not followed"
    assert len(redirecting.received) == 1 and target.received == target.rejected == []


def test_the_guard_is_asked_again_at_delivery(client, settings):
    # the allow-list changed after the subscription: nothing is sent, the attempt says why
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        worker = deliverer(client, webhook_allowed_networks=["10.20.0.0/16"])
        assert worker.round() == 1
    (item,) = deliveries(client, hook)
    assert item["last_error"].startswith("refused by the outbound guard")
    assert receiver.received == [] and receiver.rejected == []


def test_a_slow_receiver_times_out(client):
    db = client.app.state.db
    with receiving() as receiver:
        hook = subscribe(client, receiver)
        emit_event(db, "task.created", ["320000-FGW"])
        dispatch(client)
        original, release = receiver.take, threading.Event()

        def slow(*args):
            release.wait(10)  # answers only after the worker has given up
            original(*args)

        receiver.take = slow  # type: ignore[method-assign]
        worker = deliverer(client, webhook_read_timeout_seconds=0.3)
        assert worker.round() == 1
        release.set()
    (item,) = deliveries(client, hook)
    assert item["last_error"] == "timed out" and item["status"] == "pending"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
