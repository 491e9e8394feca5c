"""the outbox by month (PostgreSQL): one partition per month's block of ids

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 05:00:00

Years of data (issue 19): on PostgreSQL `outbox_events` and `outbox_event_units` become tables
partitioned by ranges of the event's row id, one range per month: the ids drawn in a month are
`(year * 12 + month - 1) << 32` onwards (the partitions worker moves the id sequence to its
month's block when the month starts, `app.partitions`), so that removing a month the retention
window has passed is dropping its partition. Partitioned by id, not by time: the id stays the
key that the events' units and the webhook deliveries reference. The partition of this
migration's month also holds every row before it (it starts at MINVALUE); three months are made
ahead, and a default partition. The units' key to their event goes from each month's partition
to the events' partition of the same month. A partitioned table's unique key must hold the
partition key, so `event_id` (a random UUID made by the service) is indexed, no longer a unique
constraint, on every backend. SQLite keeps plain tables.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLOCK_BITS = 32
AHEAD = 3
EVENTS, UNITS = "outbox_events", "outbox_event_units"
KEYS = {EVENTS: "id", UNITS: "event_row_id"}
# the foreign keys on the outbox's id: (table, name, definition); on PostgreSQL the units' key
# goes from each month's partition to the events' partition of the same month (below)
UNITS_KEY = (
    UNITS,
    "outbox_event_units_event_row_id_fkey",
    "FOREIGN KEY (event_row_id) REFERENCES outbox_events(id) ON DELETE CASCADE",
)
DELIVERIES_KEY = (
    "webhook_deliveries",
    "webhook_deliveries_event_id_fkey",
    "FOREIGN KEY (event_id) REFERENCES outbox_events(id) ON DELETE CASCADE",
)
REFERENCES = [UNITS_KEY, DELIVERIES_KEY]
_UNIQUE = "outbox_events_event_id_key"
_INDEX = "ix_outbox_events_event_id"
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _start(index: int) -> int:
    return index << BLOCK_BITS


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table(EVENTS, naming_convention=_SQLITE_NAMES) as batch:
            batch.drop_constraint("uq_outbox_events_event_id", type_="unique")
        op.create_index(_INDEX, EVENTS, ["event_id"], unique=False)
        return
    for table, name, _definition in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    op.execute(f"ALTER TABLE {EVENTS} DROP CONSTRAINT {_UNIQUE}")
    now = datetime.now(UTC)
    first = now.year * 12 + now.month - 1
    suffixes = [f"{i // 12:04d}_{i % 12 + 1:02d}" for i in range(first, first + AHEAD + 1)]
    for table, key in KEYS.items():
        old = _set_aside(table, f"{table}_unpartitioned")
        op.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE ({key})"
        )
        _keys_and_indexes(table, key)
        for index, suffix in enumerate(suffixes, start=first):
            low = "MINVALUE" if index == first else str(_start(index))
            op.execute(
                f"CREATE TABLE {table}_{suffix} PARTITION OF {table}"
                f" FOR VALUES FROM ({low}) TO ({_start(index + 1)})"
            )
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        op.execute(f"DROP TABLE {old}")
    # A key from the partitioned units to the partitioned events is checked through the whole
    # partitioned table (~0.2 ms more per change's events); month to month it is a plain one.
    for suffix in [*suffixes, "default"]:
        op.execute(
            f"ALTER TABLE {UNITS}_{suffix} ADD CONSTRAINT {UNITS}_{suffix}_event_row_id_fkey"
            f" FOREIGN KEY (event_row_id) REFERENCES {EVENTS}_{suffix}(id) ON DELETE CASCADE"
        )
    table, name, definition = DELIVERIES_KEY
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _set_aside(table: str, old: str) -> str:
    """Rename `table` to `old` and free its key's and indexes' names; `old`."""
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {old}_pkey")
    names = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = :t AND indexname <> :pkey"
            ),
            {"t": old, "pkey": f"{old}_pkey"},
        )
        .scalars()
        .all()
    )
    for name in names:
        op.execute(f"DROP INDEX {name}")
    return old


def _keys_and_indexes(table: str, key: str) -> None:
    """The key and indexes of the models, on the new table (partitioned or not)."""
    if table == EVENTS:
        op.execute(f"ALTER TABLE {EVENTS} ADD CONSTRAINT {EVENTS}_pkey PRIMARY KEY (id)")
        op.execute(f"ALTER SEQUENCE {EVENTS}_id_seq OWNED BY {EVENTS}.id")
        op.create_index("ix_outbox_events_order", EVENTS, ["txid", "id"])
        op.create_index("ix_outbox_events_type", EVENTS, ["type"])
        op.create_index("ix_outbox_events_instance_id", EVENTS, ["instance_id"])
        op.create_index(_INDEX, EVENTS, ["event_id"])
    else:
        op.execute(
            f"ALTER TABLE {UNITS} ADD CONSTRAINT {UNITS}_pkey PRIMARY KEY ({key}, unit_code)"
        )
        op.create_index("ix_outbox_event_units_unit", UNITS, ["unit_code", key])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(_INDEX, table_name=EVENTS)
        with op.batch_alter_table(EVENTS, naming_convention=_SQLITE_NAMES) as batch:
            batch.create_unique_constraint("uq_outbox_events_event_id", ["event_id"])
        return
    table, name, _definition = DELIVERIES_KEY
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for table, key in reversed(KEYS.items()):  # the units' partitions reference the events'
        old = _set_aside(table, f"{table}_partitioned")
        op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        _keys_and_indexes(table, key)
        op.execute(f"DROP TABLE {old}")  # with its partitions
    op.drop_index(_INDEX, table_name=EVENTS)  # the plain table's, made by _keys_and_indexes
    op.execute(f"ALTER TABLE {EVENTS} ADD CONSTRAINT {_UNIQUE} UNIQUE (event_id)")
    for table, name, definition in REFERENCES:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
