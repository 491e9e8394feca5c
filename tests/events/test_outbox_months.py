"""Years of data (issue 19): on PostgreSQL the outbox is partitioned by month — by the month's
block of event ids, so that the ids stay the key its units and the webhook deliveries reference.
The partitions worker moves the id sequence to the month's block; the retention worker drops a
month whose every event has expired, been passed by every consumer and is needed by nobody,
and leaves a month with an event still needed to the batches. Each test has a database of its
own: dropping months changes what the next test would find."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import POSTGRES_URL
from sqlalchemy import create_engine, make_url, select, text
from webhook_rows import delivery, hook

from app import partitions
from app.events import retention
from app.events.models import EventConsumer, OutboxEvent, OutboxEventUnit
from app.events.outbox import emit
from app.events.retention import Retention
from app.kit.clock import clock
from app.migrate import upgrade
from app.partitions import Month, Partitions, block_start
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

UNIT = "320000-DCS"


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, migrated (the suite's is shared by tests)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ducha_ob_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite's PostgreSQL fixture fails (CI) or skips on this
        admin.dispose()
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    clock.reset()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _emit(db, n: int) -> list[int]:
    """`n` events about one unit, in one transaction; their ids."""

    def work(s):
        for i in range(n):
            emit(s, "test.happened", subject=f"s{i}", data={"i": i}, units=[UNIT])

    db.transaction(work)
    with db.session() as s:
        return list(s.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(n)))[
            ::-1
        ]


def _in(db, table: str, ids: list[int]) -> set[str]:
    """The partitions holding these event ids' rows of `table` (the events or their units)."""
    column = "id" if table == "outbox_events" else "event_row_id"
    with db.session() as s:
        rows = s.execute(
            text(
                f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {column} = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return set(rows.scalars())


def _months(db, table: str) -> list[Month]:
    with db.session() as s:
        return partitions.months(s.connection(), table)


def _at(month: Month, days: int = 1):
    return month.start + timedelta(days=days)


def test_a_months_events_and_their_units_are_in_its_block_from_the_worker_on(client):
    db = client.app.state.db
    now = Month.of(clock.now())
    for table in partitions.BLOCKS:  # made by the migration: this month and three ahead
        assert _months(db, table) == [now.next(k) for k in range(partitions.AHEAD + 1)]
    first = _emit(db, 2)
    assert _in(db, "outbox_events", first) == {f"outbox_events_{now.suffix()}"}

    later = now.next(2)
    clock.freeze(_at(later))
    Partitions(db).round()  # the sequence moves to the month's block, months made ahead
    ids = _emit(db, 3)
    assert all(block_start(later) <= i < block_start(later.next()) for i in ids)
    assert _in(db, "outbox_events", ids) == {f"outbox_events_{later.suffix()}"}
    assert _in(db, "outbox_event_units", ids) == {f"outbox_event_units_{later.suffix()}"}
    assert _months(db, "outbox_events")[-1] == later.next(partitions.AHEAD)

    with db.session() as s:  # each month's units reference the events of the same month
        keys = dict(
            s.execute(
                text(
                    "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid::regclass::text LIKE 'outbox_event_units_%'"
                    " AND conparentid = 0"
                )
            ).all()
        )
    suffixes = [m.suffix() for m in _months(db, "outbox_event_units")] + ["default"]
    assert keys == {f"outbox_event_units_{x}": f"outbox_events_{x}" for x in suffixes}

    clock.freeze(_at(now.next(1)))  # a clock set back never moves the ids back
    Partitions(db).round()
    assert min(_emit(db, 1)) > max(ids)


def _consumers_at(db, event_id: int) -> None:
    """Both consumers have read up to the event `event_id`."""
    with db.session() as s:
        txid = s.scalar(select(OutboxEvent.txid).where(OutboxEvent.id == event_id))
        for name in ("webhooks", "notifications"):
            s.merge(EventConsumer(name=name, txid=txid, last_id=event_id))


def test_a_month_past_the_window_goes_as_its_partition_and_a_needed_one_stays(client):
    db, settings = client.app.state.db, client.app.state.settings
    now = Month.of(clock.now())
    first = _emit(db, 3)  # this month's (the partition from MINVALUE)
    with db.session() as s:
        subscription = hook(s, clock.now())
        done = delivery(s, subscription, first[0], "delivered", clock.now()).id
    held = now.next(2)
    clock.freeze(_at(held))
    Partitions(db).round()
    kept = _emit(db, 2)  # a delivery still to make keeps the first of these: its month stays
    with db.session() as s:
        pending = delivery(s, s.get(Webhook, subscription.id), kept[0], "pending", clock.now()).id
    today = now.next(7)  # the window (90 days) has passed every event above
    clock.freeze(_at(today))
    Partitions(db).round()
    recent = _emit(db, 1)

    _consumers_at(db, first[1])  # the slowest consumer has not passed first[2]: nothing goes
    assert Retention(db, settings).round() == 2  # first[:2] by batch (first[0]'s delivery too)
    assert f"outbox_events_{now.suffix()}" in _in(db, "outbox_events", first)

    _consumers_at(db, recent[0])
    removed = Retention(db, settings).round()

    months = _months(db, "outbox_events")
    assert months == [held, *[today.next(k) for k in range(partitions.AHEAD + 1)]]
    assert _months(db, "outbox_event_units") == months
    assert removed == 1 + 1  # first[2] with its month's partition; kept[1] by batch
    with db.session() as s:
        assert set(s.scalars(select(OutboxEvent.id))) == {kept[0], *recent}
        assert set(s.scalars(select(OutboxEventUnit.event_row_id))) == {kept[0], *recent}
        assert set(s.scalars(select(WebhookDelivery.id))) == {pending}
        assert set(s.scalars(select(WebhookAttempt.delivery_id))) == {pending}
        assert done != pending
    assert Retention(db, settings).round() == 0
    with db.session() as s:  # a second process's round finds the month gone: nothing to do
        assert partitions.lock_block(s.connection(), now) is None


def test_a_month_whose_partition_is_locked_waits_for_the_next_round(client, monkeypatch):
    db, settings = client.app.state.db, client.app.state.settings
    now = Month.of(clock.now())
    old = _emit(db, 2)
    clock.freeze(_at(now.next(5)))
    Partitions(db).round()
    _consumers_at(db, old[-1])
    monkeypatch.setattr(retention, "LOCK_WAIT", 0.2)
    with db.session() as s:  # a change that has written an event and not yet committed
        s.add(OutboxEvent(type="ducha.test.happened", source="/t", time=clock.now(), data={}))
        s.flush()
        assert Retention(db, settings).round() == 2  # the events by batch; the month waits
        assert _months(db, "outbox_events")[0] == now
        s.rollback()
    assert Retention(db, settings).round() == 0  # the month's partition, empty, goes
    assert _months(db, "outbox_events")[0] == now.next(5)


def test_a_past_month_locked_for_its_drop_keeps_no_reader_or_change_of_this_month_waiting(
    client,
):
    db = client.app.state.db
    now = Month.of(clock.now())
    _emit(db, 1)
    clock.freeze(_at(now.next(1)))
    Partitions(db).round()
    with db.session() as s:  # the retention worker's lock on last month, held
        assert partitions.lock_block(s.connection(), now) is not None
        ids = _emit(db, 2)  # a change of this month commits meanwhile, and the outbox is read
        assert all(i >= block_start(now.next(1)) for i in ids)
        s.rollback()
