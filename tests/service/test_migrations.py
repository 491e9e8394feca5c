"""The schema comes only from Alembic: migrations and models must agree on every backend."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import POSTGRES_URL
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import IntegrityError

from app.db import Base
from app.migrate import alembic_config, upgrade
from app.models import load_all
from app.partitions import Month, modelled, modelled_object


def test_models_and_migrations_agree(database_url):
    load_all()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": modelled,
                "include_object": modelled_object(connection.dialect.name),
            },
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], f"models differ from migrations: {differences}"


def test_monthly_partitions_keep_every_row_down_and_up_again(database_url):
    """Migration 0027 copies history and audit into monthly partitions on PostgreSQL, and its
    downgrade back into plain tables: no row lost, ids continue from the same sequence."""
    if not database_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ducha_rt_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        upgrade(url, "0026")
        with engine.begin() as connection:  # 40 rows over the last two and a half years
            connection.execute(text(_AUDIT_ROWS))
        upgrade(url)
        with engine.connect() as connection:
            months = connection.execute(text(_WHERE)).scalars().all()
            assert len(months) >= 25 and all(m.startswith("audit_log_2") for m in months)
            assert connection.execute(text("SELECT count(*), max(id) FROM audit_log")).one() == (
                40,
                40,
            )
        command.downgrade(alembic_config(url), "0026")
        with engine.begin() as connection:
            assert not connection.execute(
                text("SELECT count(*) FROM pg_partitioned_table")
            ).scalar()
            connection.execute(
                text(_AUDIT_ROWS.replace("generate_series(1, 40)", "generate_series(1, 1)"))
            )
            assert connection.execute(text("SELECT count(*), max(id) FROM audit_log")).one() == (
                41,
                41,
            )
        upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 41
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_AUDIT_ROWS = (
    "INSERT INTO audit_log (at, actor_sub, actor_name, actor_unit, actor_roles, action,"
    " object_type, prev_hash, hash) SELECT now() - make_interval(days => g * 20), 's', 'n', 'u',"
    " '[]', 'a', 't', 'p', 'h' FROM generate_series(1, 40) g"
)
_WHERE = "SELECT DISTINCT tableoid::regclass::text FROM audit_log"


def _fresh(database_url: str, tmp_path) -> tuple[str, Callable[[], None]]:
    """A new, empty database of the backend of `database_url`, and how to drop it."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.db'}", lambda: None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ducha_rt_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), drop


_EVENT = (
    "INSERT INTO outbox_events (id, event_id, type, source, time, data, units)"
    " VALUES (:id, :event_id, 't', 's', CURRENT_TIMESTAMP, '{}', '[]')"
)


def test_the_outbox_keeps_every_row_into_its_months_and_back(database_url, tmp_path):
    """Migration 0029: on PostgreSQL the outbox moves into its months' partitions with its ids,
    its units and what references it; `event_id` is indexed instead of unique (both backends),
    and the downgrade gives back the plain tables and the unique key."""
    url, drop = _fresh(database_url, tmp_path)
    engine = create_engine(url)
    twice = str(uuid.uuid4())
    try:
        upgrade(url, "0028")
        with engine.begin() as connection:
            for row_id in (1, 2, 3):
                connection.execute(text(_EVENT), {"id": row_id, "event_id": str(uuid.uuid4())})
                connection.execute(
                    text("INSERT INTO outbox_event_units VALUES (:id, 'U')"), {"id": row_id}
                )
        upgrade(url)
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM outbox_event_units")).scalar() == 3
            connection.execute(text(_EVENT), {"id": 4, "event_id": twice})
            connection.execute(text(_EVENT), {"id": 5, "event_id": twice})  # indexed, not unique
            if url.startswith("postgresql"):
                where = "SELECT DISTINCT tableoid::regclass::text FROM outbox_events"
                assert connection.execute(text(where)).scalars().all() == [
                    f"outbox_events_{Month.of(datetime.now(UTC)).suffix()}"
                ]
        if url.startswith("postgresql"):  # a unit of no event is refused, month to month
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(text("INSERT INTO outbox_event_units VALUES (99, 'U')"))
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM outbox_events WHERE id = 5"))
        command.downgrade(alembic_config(url), "0028")
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM outbox_events")).scalar() == 4
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(_EVENT), {"id": 6, "event_id": twice})
        upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM outbox_event_units")).scalar() == 3
    finally:
        engine.dispose()
        drop()
