"""Pooled connections are pinged only after sitting idle; a dead idle one is replaced unseen;
the parallel workers a statement may launch follow the setting."""

import time

import pytest
from sqlalchemy import create_engine, text

import app.db
from app.config import Settings
from app.db import Database


def test_a_connection_that_died_while_idle_is_replaced(database_url, tmp_path, monkeypatch):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server connection to lose")
    settings = Settings(
        database_url=database_url,
        db_ping_idle_seconds=5.0,
        _env_file=None,  # type: ignore[call-arg]
    )
    db = Database(settings)
    try:
        with db.session() as s:
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
        admin = create_engine(database_url)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        # Later than the idle limit: the next checkout pings, finds it dead and reconnects.
        now = time.monotonic()
        monkeypatch.setattr(app.db.time, "monotonic", lambda: now + 60)
        with db.session() as s:
            assert s.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        db.engine.dispose()


def test_only_an_idle_connection_is_pinged(database_url, monkeypatch):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server connection to ping")
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings)
    pings: list[object] = []
    ping = db.engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    try:
        for _ in range(3):
            with db.session() as s:
                s.execute(text("SELECT 1"))
        assert pings == []  # in steady use: no round trip before each request
        now = time.monotonic()
        monkeypatch.setattr(app.db.time, "monotonic", lambda: now + 60)
        with db.session() as s:
            s.execute(text("SELECT 1"))
        assert len(pings) == 1
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("workers", [0, 2])
def test_a_statement_launches_the_parallel_workers_the_setting_allows(database_url, workers):
    # Page-sized reads: starting workers costs more than they save (docs/performance.md), so
    # the service's connections launch none unless DUCHA_DB_PARALLEL_WORKERS says otherwise.
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs no parallel workers")
    settings = Settings(
        database_url=database_url,
        db_parallel_workers=workers,
        _env_file=None,  # type: ignore[call-arg]
    )
    db = Database(settings)
    try:
        with db.session() as s:
            shown = s.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
        assert shown == str(workers)
    finally:
        db.engine.dispose()


def test_the_parallel_workers_default_to_none():
    assert Settings(_env_file=None).db_parallel_workers == 0  # type: ignore[call-arg]
