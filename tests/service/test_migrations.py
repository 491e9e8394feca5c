"""The schema comes only from Alembic: migrations and models must agree on every backend."""

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import POSTGRES_URL
from sqlalchemy import create_engine, make_url, text

from app.db import Base
from app.migrate import alembic_config, upgrade
from app.models import load_all
from app.partitions import is_partition


def _modelled(name: str | None, type_: str, _parent: object) -> bool:
    """Every table but the monthly partitions (made by the partitions worker, not by a model)."""
    return not (type_ == "table" and name is not None and is_partition(name))


def test_models_and_migrations_agree(database_url):
    load_all()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _modelled}
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
