"""monthly partitions of history and audit (PostgreSQL), the audit chain's anchors

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 22:30:00

Years of data (issue 19): on PostgreSQL, `history_events` and `audit_log` become tables
partitioned by month of `at` (UTC) — one partition per month from the oldest row's to three
months ahead, and a default partition — so that archiving a month is detaching its partition
(`app.partitions`). A partitioned table's primary key must hold the partition key: it is
`(id, at)`; ids still come from the table's own sequence and stay unique. The rows are copied
into the new table in this migration (a long one on a large database: plan it in a quiet hour).
`audit_anchors` (every backend) keeps the hashes at the edges of the audit rows that an archived
month took away, so that the chain stays verifiable across what is kept. SQLite keeps plain
tables.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AHEAD = 3
# table -> its foreign keys (name, definition), which a copy made with LIKE does not carry
TABLES = {
    "history_events": [
        (
            "history_events_instance_id_fkey",
            "FOREIGN KEY (instance_id) REFERENCES process_instances(id) ON DELETE CASCADE",
        )
    ],
    "audit_log": [],
}


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("partition", sa.String(length=64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_anchors_first_id", "audit_anchors", ["first_id"], unique=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, foreign_keys in TABLES.items():
        _partition(table, foreign_keys)


def _months(oldest: datetime | None) -> list[tuple[int, int]]:
    now = datetime.now(UTC)
    start = oldest.astimezone(UTC) if oldest is not None else now
    index, last = start.year * 12 + start.month - 1, now.year * 12 + now.month - 1 + AHEAD
    return [(i // 12, i % 12 + 1) for i in range(index, last + 1)]


def _bound(year: int, month: int) -> str:
    return datetime(year, month, 1, tzinfo=UTC).isoformat()


def _set_aside(table: str, old: str, foreign_keys: list[tuple[str, str]]) -> list[Any]:
    """Rename `table` to `old` and free the names of its key, foreign keys and indexes for the
    new table; its indexes' definitions (which name `table`), to make them again."""
    indexes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND tablename = :t"
            ),
            {"t": table},
        )
        .all()
    )
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {old}_pkey")
    for name, _definition in foreign_keys:
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {name}")
    kept = [(name, definition) for name, definition in indexes if name != f"{table}_pkey"]
    for name, _ in kept:
        op.execute(f"DROP INDEX {name}")
    return kept


def _partition(table: str, foreign_keys: list[tuple[str, str]]) -> None:
    old = f"{table}_unpartitioned"
    indexes = _set_aside(table, old, foreign_keys)
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (at)")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, at)")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
    for name, definition in foreign_keys:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _name, definition in indexes:
        op.execute(definition)
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    oldest = op.get_bind().execute(sa.text(f"SELECT min(at) FROM {old}")).scalar()
    for year, month in _months(oldest):
        after = (year, month + 1) if month < 12 else (year + 1, 1)
        op.execute(
            f"CREATE TABLE {table}_{year:04d}_{month:02d} PARTITION OF {table}"
            f" FOR VALUES FROM ('{_bound(year, month)}') TO ('{_bound(*after)}')"
        )
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")


def _unpartition(table: str, foreign_keys: list[tuple[str, str]]) -> None:
    old = f"{table}_partitioned"
    indexes = _set_aside(table, old, foreign_keys)
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    for name, definition in foreign_keys:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _name, definition in indexes:  # a partitioned table's index is made ON ONLY it
        op.execute(definition.replace(f" ON ONLY public.{table} ", f" ON public.{table} "))
    op.execute(f"DROP TABLE {old}")  # with its partitions (archived months stay as tables)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, foreign_keys in TABLES.items():
            _unpartition(table, foreign_keys)
    op.drop_index("ix_audit_anchors_first_id", table_name="audit_anchors")
    op.drop_table("audit_anchors")
