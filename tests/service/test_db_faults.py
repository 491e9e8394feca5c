"""Database faults answer 503 with Retry-After, within a bound, and say only what is true.

The faults are made by a loopback proxy of the tests' own between the service and PostgreSQL
(`dbproxy.py`); the shared server is never stopped. SQLite has no link to break: the faults that
apply to it (a failed commit, a fault in the middleware) are made with SQLAlchemy events.
"""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import TESTER, deploy, login
from dbproxy import DbProxy
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import WRITES, RequestWrites
from app.engine.persist.models import Job, ProcessInstance
from app.faults import fault_body
from app.idempotency import IdempotencyRecord
from app.kit.clock import clock
from app.main import create_app

API = "/api/v1"
START = {"process_key": "five_steps"}


def _count(client: TestClient) -> int:
    with client.app.state.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessInstance)) or 0)


def _fault(response, code: str = "database_error") -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == code
    assert response.headers["retry-after"] == "1"


# --- on both backends -------------------------------------------------------------------------


def test_a_failed_commit_under_a_key_says_nothing_saved_and_its_retry_runs(client):
    deploy(client, "five_steps.bpmn")
    db = client.app.state.db

    def fail(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    headers = {"Idempotency-Key": "rolled-back"}
    event.listen(db.sessions, "before_commit", fail)
    try:
        response = client.post(f"{API}/process-instances", json=START, headers=headers)
    finally:
        event.remove(db.sessions, "before_commit", fail)
    _fault(response)
    assert "nothing was saved" in response.json()["detail"]
    again = client.post(f"{API}/process-instances", json=START, headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert _count(client) == 1


def test_a_fault_in_the_idempotency_layer_is_503_not_500(client):
    deploy(client, "five_steps.bpmn")
    engine = client.app.state.db.engine

    def unreachable(_conn, _cursor, statement, *_args) -> None:
        if "idempotency_keys" in statement:
            raise OperationalError(statement, {}, Exception("connection refused"))

    event.listen(engine, "before_cursor_execute", unreachable)
    try:
        response = client.post(
            f"{API}/process-instances", json=START, headers={"Idempotency-Key": "k"}
        )
    finally:
        event.remove(engine, "before_cursor_execute", unreachable)
    _fault(response)
    assert _count(client) == 0


def test_a_fault_after_a_commit_of_the_request_is_an_unknown_outcome(client):
    """A request that committed once and then met a fault must not say "nothing was saved"."""
    db = client.app.state.db
    token = WRITES.set(RequestWrites())
    try:
        assert fault_body()["code"] == "database_error"
        db.transaction(lambda s: s.execute(text("SELECT 1")))
        body = fault_body()
    finally:
        WRITES.reset(token)
    assert body["code"] == "outcome_unknown"


# --- PostgreSQL behind the proxy --------------------------------------------------------------


@pytest.fixture
def proxy(database_url: str) -> Iterator[DbProxy]:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no network link to break")
    url = make_url(database_url)
    dbproxy = DbProxy((url.host or "127.0.0.1", url.port or 5432))
    yield dbproxy
    dbproxy.close()


def _app(settings: Settings, proxy: DbProxy, **changes: object) -> TestClient:
    changed = settings.model_copy(
        update={"database_url": proxy.url(settings.database_url), **changes}
    )
    return TestClient(create_app(changed))


@pytest.fixture
def proxied(settings: Settings, proxy: DbProxy) -> Iterator[TestClient]:
    """A client of the service whose database link runs through the proxy."""
    with _app(settings, proxy) as client:
        client.headers.update(login(client, **TESTER))
        deploy(client, "five_steps.bpmn")
        yield client


def _timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def _recovers(client: TestClient) -> float:
    """Seconds until a start succeeds again (bounded)."""
    started = time.monotonic()
    deadline = started + 5
    while time.monotonic() < deadline:
        if client.post(f"{API}/process-instances", json=START).status_code == 201:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("no recovery within 5 s")


@pytest.mark.parametrize("mode", ["refuse", "reset"])
def test_a_refused_or_reset_database_is_503_from_every_layer(proxied, proxy, mode):
    proxy.set(mode)
    try:
        with_key, waited = _timed(
            proxied.post, f"{API}/process-instances", json=START, headers={"Idempotency-Key": "a"}
        )
        _fault(with_key)
        assert waited < 5
        _fault(proxied.post(f"{API}/process-instances", json=START))
        _fault(proxied.get(f"{API}/process-instances"))
        health, waited = _timed(proxied.get, "/health")
        assert health.status_code == 503
        # DUCHA_HEALTH_TIMEOUT_SECONDS is 0.9, the connect timeout 2 s: under 1.8 s means the
        # health bound answered (with room for a loaded machine), not a connect attempt timing out
        assert waited < 1.8
    finally:
        proxy.set("pass")
    assert _recovers(proxied) < 1
    assert _count(proxied) == 1


def test_a_silent_database_is_503_within_the_bound_and_recovers(proxied, proxy):
    proxied.get(f"{API}/process-instances")  # a pooled connection, idle for less than the ping
    assert proxied.get("/health").status_code == 200  # FastAPI sets the route up on first use
    proxy.set("blackhole")
    try:
        health, waited = _timed(proxied.get, "/health")
        assert health.status_code == 503
        # DUCHA_HEALTH_TIMEOUT_SECONDS is 0.9, the connect timeout 2 s: under 1.8 s means the
        # health bound answered (with room for a loaded machine), not a connect attempt timing out
        assert waited < 1.8
        response, waited = _timed(proxied.post, f"{API}/process-instances", json=START)
        _fault(response)
        assert waited <= 5
    finally:
        proxy.set("pass")
    assert _recovers(proxied) < 1


def test_a_commit_cut_after_the_server_committed_is_resolved_by_the_retry(proxied, proxy):
    headers = {"Idempotency-Key": "cut-after"}
    proxy.commits_to_pass = 1  # the key's lookup
    proxy.set("cut_after_commit")
    first = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert proxy.commits_cut == 1
    _fault(first, "outcome_unknown")
    assert "may or may not" in first.json()["detail"]
    assert _count(proxied) == 1  # it did commit
    again = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(proxied) == 1
    # The answer is stored on the key's row (not only in this process's memory).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _stored(proxied, "cut-after"):
        time.sleep(0.05)
    assert _stored(proxied, "cut-after") == 201


def test_a_commit_cut_before_the_server_got_it_runs_afresh_on_retry(proxied, proxy):
    headers = {"Idempotency-Key": "cut-before"}
    proxy.commits_to_pass = 1  # the key's lookup
    proxy.set("cut_before_commit")
    first = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert proxy.commits_cut == 1
    _fault(first, "outcome_unknown")
    assert _count(proxied) == 0  # it did not commit
    again = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    assert _count(proxied) == 1


def test_a_known_commit_whose_answer_could_not_be_stored_is_answered_and_kept(proxied, proxy):
    """The change committed; the COMMIT of its answer's store is cut: the client still gets the
    real answer, and the retry gets it too (stored in the background)."""
    headers = {"Idempotency-Key": "store-cut"}
    proxy.commits_to_pass = 2  # the key's lookup, the change
    proxy.set("cut_before_commit")
    first = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert proxy.commits_cut == 1
    assert first.status_code == 201, first.text
    again = proxied.post(f"{API}/process-instances", json=START, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(proxied) == 1


def test_a_commit_cut_without_a_key_never_says_nothing_saved(proxied, proxy):
    proxy.set("cut_after_commit")
    response = proxied.post(f"{API}/process-instances", json=START)
    _fault(response, "outcome_unknown")
    assert "nothing was saved" not in response.json()["detail"]
    assert _count(proxied) == 1


def test_a_committed_key_whose_answer_was_never_stored_is_in_flight_then_lost(
    settings, proxy, frozen_clock
):
    """The owner loses the database right after the COMMIT and never stores the answer: the
    retry (through another process, straight to the database) hears 409 in flight while the
    owner may still store it, then a final 409 `idempotency_answer_lost`, never in flight
    forever."""
    owner = _app(settings, proxy, idempotency_answer_lease_seconds=2)
    other = TestClient(create_app(settings))
    with owner, other:
        for client in (owner, other):
            client.headers.update(login(client, **TESTER))
        deploy(owner, "five_steps.bpmn")
        headers = {"Idempotency-Key": "lost"}
        proxy.after_cut = "refuse"
        proxy.commits_to_pass = 1  # the key's lookup
        proxy.set("cut_after_commit")
        _fault(
            owner.post(f"{API}/process-instances", json=START, headers=headers), "outcome_unknown"
        )
        in_flight = other.post(f"{API}/process-instances", json=START, headers=headers)
        assert in_flight.status_code == 409
        assert in_flight.json()["code"] == "idempotency_key_in_flight"
        assert in_flight.headers["retry-after"] == "1"
        clock.freeze(frozen_clock + timedelta(seconds=3))
        lost = other.post(f"{API}/process-instances", json=START, headers=headers)
        assert lost.status_code == 409
        assert lost.json()["code"] == "idempotency_answer_lost"
        assert _count(other) == 1
        proxy.set("pass")


def test_an_exhausted_pool_is_503_after_the_pool_timeout(settings, proxy):
    with _app(settings, proxy, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.5) as c:
        c.headers.update(login(c, **TESTER))
        with c.app.state.db.engine.connect():
            response, waited = _timed(c.get, f"{API}/process-instances")
        _fault(response)
        assert 0.4 < waited < 2
        assert c.get(f"{API}/process-instances").status_code == 200


def test_a_statement_past_the_timeout_is_503_and_saves_nothing(settings, proxy):
    with _app(settings, proxy, db_statement_timeout_ms=500) as c:
        c.headers.update(login(c, **TESTER))
        deploy(c, "five_steps.bpmn")
        instance = c.post(f"{API}/process-instances", json=START).json()
        task = instance["ready_tasks"][0]["id"]
        locker = create_engine(settings.database_url)
        try:
            with locker.begin() as connection:  # holds the instance's row past the timeout
                connection.execute(
                    select(ProcessInstance.id)
                    .where(ProcessInstance.id == instance["id"])
                    .with_for_update()
                )
                response, waited = _timed(
                    c.post, f"{API}/tasks/{task}/complete", json={"variables": {}}
                )
        finally:
            locker.dispose()
        _fault(response)
        assert waited < 2
        assert c.post(f"{API}/tasks/{task}/complete", json={"variables": {}}).status_code == 200


def test_a_failed_scheduler_round_releases_its_timers_on_the_next(settings, proxy, frozen_clock):
    with _app(settings, proxy) as c:
        c.headers.update(login(c, **TESTER))
        deploy(c, "timer_intermediate.bpmn")
        c.post(f"{API}/process-instances", json={"process_key": "wait_cooling_off"})
        clock.freeze(frozen_clock + timedelta(hours=3))
        scheduler = c.app.state.scheduler
        proxy.set("cut_after_commit")  # the round leases the job, then loses the connection
        with pytest.raises(Exception, match="may or may not"):
            scheduler.run_due()
        with c.app.state.db.session() as session:
            (job,) = session.scalars(select(Job)).all()
            assert job.locked_by == scheduler.owner  # leased, and nobody fired it
        assert scheduler.run_due() == 1  # the next round releases it and fires it at once
        with c.app.state.db.session() as session:
            assert session.scalar(select(Job.status)) != "waiting"


def _stored(client: TestClient, key: str) -> int | None:
    with client.app.state.db.session() as session:
        return session.scalar(
            select(IdempotencyRecord.status_code).where(IdempotencyRecord.key == key)
        )


def test_a_database_fault_while_firing_is_not_the_jobs_failure(client, frozen_clock):
    """On both backends: the fire's commit fails; the job is not charged an attempt, and the
    next round releases and fires it instead of waiting for the lease."""
    deploy(client, "timer_intermediate.bpmn")
    client.post(f"{API}/process-instances", json={"process_key": "wait_cooling_off"})
    clock.freeze(frozen_clock + timedelta(hours=3))
    db, scheduler = client.app.state.db, client.app.state.scheduler
    commits: list[int] = []

    def second_fails(_session: Session) -> None:
        commits.append(1)
        if len(commits) == 2:  # the acquire commits, the fire does not
            raise OperationalError("COMMIT", {}, Exception("connection lost"))

    event.listen(db.sessions, "before_commit", second_fails)
    try:
        with pytest.raises(OperationalError):
            scheduler.run_due()
    finally:
        event.remove(db.sessions, "before_commit", second_fails)
    with db.session() as session:
        (job,) = session.scalars(select(Job)).all()
        assert job.locked_by == scheduler.owner
        assert job.attempts == 0
    assert scheduler.run_due() == 1
    with db.session() as session:
        assert session.scalar(select(Job.status)) != "waiting"


# --- a 500 says only what is true ------------------------------------------------------------


def _failing_route(client: TestClient, *, commit_first: bool) -> None:
    """A route that fails with an unexpected error, after a commit or before any."""
    db = client.app.state.db

    def broken() -> None:
        if commit_first:
            db.transaction(lambda s: s.execute(text("SELECT 1")))
        raise RuntimeError("a bug")

    client.app.add_api_route("/test-broken", broken, methods=["POST"])


@pytest.mark.parametrize("commit_first", [False, True])
def test_an_internal_error_says_nothing_saved_only_when_nothing_committed(settings, commit_first):
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        _failing_route(client, commit_first=commit_first)
        response = client.post("/test-broken")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert ("nothing was saved" in body["detail"]) is not commit_first
    assert ("part of this request was saved" in body["detail"]) is commit_first
