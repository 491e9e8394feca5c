"""Numbers for official codes (app.sequences): the first continues what was counted, each next one
is one more and is taken by one statement, gapless ones come back with a rollback, and writers
at once never get the same number."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import Database
from app.sequences import next_number


class Rollback(Exception):
    pass


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def take(db: Database, name: str, *, counted: int = 0, gapless: bool = True) -> int:
    return db.transaction(lambda s: next_number(s, name, lambda: counted, gapless=gapless))


@pytest.mark.parametrize("gapless", [True, False])
def test_the_first_number_continues_the_count_and_each_next_is_one_more(client, gapless):
    db = client.app.state.db
    assert take(db, "DC-2026-", counted=41, gapless=gapless) == 42
    assert take(db, "DC-2026-", counted=41, gapless=gapless) == 43
    assert take(db, "DC-2027-", gapless=gapless) == 1  # another prefix counts on its own


@pytest.mark.parametrize("gapless", [True, False])
def test_a_number_of_a_sequence_that_exists_is_taken_by_one_statement(client, gapless):
    db = client.app.state.db
    take(db, "苏督〔2026〕", gapless=gapless)
    with statements(db) as seen:
        assert take(db, "苏督〔2026〕", gapless=gapless) == 2
    taken = [s for s in seen if "code_sequences" in s]
    assert len(taken) == 1, seen
    assert taken[0].startswith("UPDATE code_sequences SET value=(code_sequences.value +")
    assert "RETURNING" in taken[0]


def test_a_gapless_number_comes_back_when_its_transaction_rolls_back(client):
    # A document number (文号) is given out without gaps.
    db = client.app.state.db
    assert take(db, "苏督通〔2026〕") == 1

    def fail(session: Session) -> None:
        assert next_number(session, "苏督通〔2026〕", lambda: 0) == 2
        raise Rollback

    with pytest.raises(Rollback):
        db.transaction(fail)
    assert take(db, "苏督通〔2026〕") == 2


def test_writers_at_once_get_distinct_numbers_with_no_gap(client, settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several writers at once: PostgreSQL (SQLite has one writer)")
    db = client.app.state.db
    others = [Database(settings) for _ in range(3)]  # as from other service processes
    got: list[int] = []
    lock = threading.Lock()

    def writer(database: Database, gapless: bool) -> None:
        for _ in range(15):
            number = take(database, "DC-2028-", gapless=gapless)
            with lock:
                got.append(number)

    threads = [
        threading.Thread(target=writer, args=(database, index % 2 == 0))
        for index, database in enumerate([db, *others])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for database in others:
        database.engine.dispose()
    assert sorted(got) == list(range(1, 61))
