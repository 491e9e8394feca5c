"""`Database.transaction` retries a transaction that lost a race, and only that: a stale instance
(optimistic locking), a conflict, a serialization failure or deadlock; after the last attempt a
lost race is 409 `concurrent_update`, and anything else is raised at once, untried again. Each
attempt is a transaction of its own: what a failed one wrote is not kept."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db import Conflict, Database, StaleView
from app.kit.errors import ConcurrentUpdate


class SerializationFailure(Exception):
    sqlstate = "40001"


class Attempts:
    """A unit of work that writes a row, then fails its first `failures` attempts with `error`."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.count = failures, error, 0

    def __call__(self, session: Session) -> int:
        self.count += 1
        session.execute(
            text("INSERT INTO code_sequences (name, value) VALUES (:p, :n)"),
            {"p": f"retry-{self.count}", "n": self.count},
        )
        if self.count <= self.failures:
            raise self.error
        return self.count


def kept(db: Database) -> list[str]:
    with db.session() as session:
        rows = session.execute(
            text("SELECT name FROM code_sequences WHERE name LIKE 'retry-%' ORDER BY name")
        )
        return [row[0] for row in rows]


@pytest.mark.parametrize(
    "error",
    [
        StaleDataError("the instance was changed"),
        Conflict("taken meanwhile"),
        OperationalError("UPDATE …", {}, SerializationFailure("could not serialize access")),
    ],
    ids=["stale", "conflict", "serialization"],
)
def test_a_lost_race_is_run_again_and_only_the_last_attempt_is_kept(client, error):
    db: Database = client.app.state.db
    work = Attempts(2, error)
    assert db.transaction(work) == 3
    assert kept(db) == ["retry-3"]  # the failed attempts rolled back


@pytest.mark.parametrize(
    "error", [StaleDataError("changed"), Conflict("taken")], ids=["stale", "conflict"]
)
def test_a_race_lost_every_time_is_409_concurrent_update_after_the_last_retry(client, error):
    db: Database = client.app.state.db
    work = Attempts(100, error)
    with pytest.raises(ConcurrentUpdate) as raised:
        db.transaction(work)
    assert work.count == db.conflict_retries + 1
    assert raised.value.__cause__ is error
    assert kept(db) == []


def test_a_serialization_failure_every_time_is_raised_as_itself_after_the_last_retry(client):
    db: Database = client.app.state.db
    error = OperationalError("UPDATE …", {}, SerializationFailure("could not serialize access"))
    work = Attempts(100, error)
    with pytest.raises(OperationalError):
        db.transaction(work)
    assert work.count == db.conflict_retries + 1


@pytest.mark.parametrize(
    "error",
    [ValueError("a bug"), OperationalError("SELECT …", {}, Exception("connection refused"))],
    ids=["bug", "other-database-error"],
)
def test_anything_else_is_raised_at_once_and_not_tried_again(client, error):
    db: Database = client.app.state.db
    work = Attempts(1, error)
    with pytest.raises(type(error)):
        db.transaction(work)
    assert work.count == 1
    assert kept(db) == []


def test_a_stale_view_runs_again_at_once_and_uses_no_retry(client, monkeypatch):
    # A completion decided on rows kept from an earlier transaction (app.engine.runtime.
    # service.prime_from_warm) whose write found them changed: run again on the database.
    db: Database = client.app.state.db
    monkeypatch.setattr(db, "conflict_retries", 0)
    waits: list[float] = []
    monkeypatch.setattr("app.db.time.sleep", waits.append)
    work = Attempts(1, StaleView("kept rows changed"))
    assert db.transaction(work) == 2
    assert kept(db) == ["retry-2"]
    assert waits == []


def test_a_second_stale_view_is_a_lost_race(client, monkeypatch):
    db: Database = client.app.state.db
    monkeypatch.setattr(db, "conflict_retries", 1)
    work = Attempts(100, StaleView("kept rows changed"))
    with pytest.raises(ConcurrentUpdate):
        db.transaction(work)
    assert work.count == 3  # the free run again, then the one retry
    assert kept(db) == []
