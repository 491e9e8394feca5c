"""The outbox's order is commit-safe: a reader never skips an event that commits late, and a
rolled-back change leaves no event.

Issue 8: the transactional outbox — an event exists if and only if its change committed; the
feed is ordered and resumable. On PostgreSQL, ids are taken in insert order but transactions
commit in any order: readers order by (transaction id, id) and see only the events of
transactions older than every one still running.
"""

import uuid

import pytest
from events_helpers import caught_up, cursor_now, events, page

from app.events import outbox
from app.events.outbox import consume, emit


def _emit(session, name: str) -> None:
    """A timer.fired event as an engine step would write it (no instance needed here)."""
    data = {
        "instance_id": str(uuid.uuid4()),
        "process_key": "probe",
        "job_id": str(uuid.uuid4()),
        "element_id": name,
        "due_at": "2026-03-02T01:00:00+00:00",
    }
    emit(session, "timer.fired", subject=name, data=data, units=["320000-DCS"])
    outbox.flush(session)  # written now, in this transaction (not only at its commit)


def test_an_event_that_commits_late_is_read_after_not_skipped(client):
    db = client.app.state.engine.db
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: events commit in id order")
    start = cursor_now(client)
    with db.sessions() as slow, db.sessions() as fast:
        slow.begin()
        _emit(slow, "slow")  # the smaller id (and transaction id), committed last
        fast.begin()
        _emit(fast, "fast")
        fast.commit()
        # The fast event has committed, but an older transaction is still running: a reader
        # does not get past it yet.
        body = page(client, "admin", after=start)
        assert body["items"] == [] and body["next"] == start
        slow.commit()
    caught_up(client)
    body = page(client, "admin", after=start)
    assert [e["subject"] for e in body["items"]] == ["slow", "fast"]
    assert page(client, "admin", after=body["next"])["items"] == []


def test_a_consumer_gets_the_late_event_too(client):
    db = client.app.state.engine.db
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: events commit in id order")
    handed: list[str] = []

    def handle(_session, batch) -> None:
        handed.extend(e.subject for e in batch)

    caught_up(client)
    consume(db, "test-consumer", handle)
    handed.clear()
    with db.sessions() as slow, db.sessions() as fast:
        slow.begin()
        _emit(slow, "slow")
        fast.begin()
        _emit(fast, "fast")
        fast.commit()
        consume(db, "test-consumer", handle)
        assert handed == []
        slow.commit()
    caught_up(client)
    consume(db, "test-consumer", handle)
    consume(db, "test-consumer", handle)  # nothing is handed twice
    assert handed == ["slow", "fast"]


def test_a_rolled_back_change_leaves_no_event(client):
    db = client.app.state.engine.db
    start = cursor_now(client)

    def failing(session) -> None:
        _emit(session, "rolled back")
        raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        db.transaction(failing)
    db.transaction(lambda session: _emit(session, "committed"))
    assert [e["subject"] for e in events(client, "admin", after=start)] == ["committed"]
