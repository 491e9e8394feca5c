"""Monthly partitions of the append-only tables on PostgreSQL (years of data).

`history_events` (an instance's history) and `audit_log` (the audit trail) grow for as long as
the service runs and are never changed: on PostgreSQL each is partitioned by month of its `at`
(migration 0027), one partition `<table>_YYYY_MM` per month (UTC) and a `<table>_default` for a
row of a month that has none yet. Archiving a month is detaching its partition (`archive`): its
rows leave the table in one catalogue change instead of a DELETE of every row, and the
detached table stays in the database to be dumped (`pg_dump -t`) and dropped. Nothing is archived
unless an operator asks (`ducha archive`): the seed requires matters to stay traceable.

The outbox (`outbox_events` with its `outbox_event_units`) is partitioned by month too, but by
blocks of the event's row id (migration 0029): the ids drawn in a month start at
`block_start(month)`, so the id stays the key that the events' units and the webhook deliveries
reference. The retention worker drops a month whose every event has expired and been passed
by every consumer (`lock_block`, `drop_block`, called by `app.events.retention`).

The partitions worker (`Partitions.round`) keeps the coming months' partitions made ahead, and
moves into its month's partition what fell into the default one (the worker stopped for months,
rows imported with old times); at a month's start it moves the outbox's id sequence to the
month's block. SQLite keeps plain tables: everything here refuses it.

Before a month of a table leaves, the hooks registered for that table (`before_archive`) run in
the same transaction: the audit trail records the hashes at the edges of what leaves, so that
the chain stays verifiable across what is kept (`app.identity.audit`).
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from app.db import Database
from app.kit.clock import clock

MONTHLY: dict[str, str] = {"history_events": "at", "audit_log": "at"}
"""The tables partitioned by month on PostgreSQL, and the column whose month decides."""

OUTBOX, UNITS = "outbox_events", "outbox_event_units"
BLOCKS: dict[str, str] = {OUTBOX: "id", UNITS: "event_row_id"}
"""The tables partitioned on PostgreSQL by the month's block of outbox ids, and their id column.
A month's units reference the events of the same month (`_units_key`): made after, gone before."""

BLOCK_BITS = 32
"""A month's block holds 2**32 ids: `block_start(month)` = the month's index << 32."""

SEQUENCE = f"{OUTBOX}_id_seq"

AHEAD = 3
"""Months made ahead of the current one, so that a row never waits for its partition."""

_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?:(?P<year>\d{4})_(?P<month>\d{2})|default)$")
_LOCK = 0x6475636861_7061  # one maintainer of the partitions at a time, across processes

ArchiveHook = Callable[[Session, str], None]
"""Runs before the named partition of a table leaves it, in the same transaction."""

_HOOKS: dict[str, list[ArchiveHook]] = {}
_BOUND = re.compile(r"FROM \('?(MINVALUE|-?\d+)'?\) TO \('?(-?\d+)'?\)")


class PartitionError(ValueError):
    """What cannot be done with a table's partitions, said so that an operator can act."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (UTC): the range [first day, first day of the next)."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime | date) -> "Month":
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, value: str) -> "Month":
        """`YYYY-MM`, or PartitionError naming what is wrong."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise PartitionError(f"month {value!r}: expected YYYY-MM, e.g. 2021-03")
        return cls(int(match[1]), int(match[2]))

    def next(self, months: int = 1) -> "Month":
        index = self.index + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months have consecutive indexes."""
        return self.year * 12 + self.month - 1

    def suffix(self) -> str:
        return f"{self.year:04d}_{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def partition_name(table: str, month: Month) -> str:
    return f"{table}_{month.suffix()}"


def block_start(month: Month) -> int:
    """The first outbox id of `month`'s block."""
    return month.index << BLOCK_BITS


def is_partition(name: str) -> bool:
    """Whether a table name is one of the monthly partitions (made here, not by a model)."""
    match = _NAME.match(name)
    return bool(match and (match["table"] in MONTHLY or match["table"] in BLOCKS))


def modelled(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic's `include_name`: every table but the partitions (made here, not by a model)."""
    return not (type_ == "table" and name is not None and is_partition(name))


def modelled_object(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's `include_object` on `dialect`. Not compared: the foreign keys PostgreSQL keeps
    for each partition of the outbox that a key references, and, on PostgreSQL, the model's key
    from the events' units to their event — kept month to month there (`_units_key`)."""

    def include(object_: Any, _name: str | None, type_: str, reflected: bool, _to: Any) -> bool:
        if type_ != "foreign_key_constraint":
            return True
        if reflected:
            return not is_partition(object_.referred_table.name)
        return not (dialect == "postgresql" and object_.table.name == UNITS)

    return include


def before_archive(table: str, hook: ArchiveHook) -> None:
    """Run `hook(session, partition)` before a month of `table` is archived."""
    hooks = _HOOKS.setdefault(table, [])
    if hook not in hooks:
        hooks.append(hook)


def partitioned(connection: Connection, table: str = "audit_log") -> bool:
    """Whether this database partitions `table` (PostgreSQL after migration 0027, the outbox's
    after 0029)."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table"
                " WHERE partrelid = to_regclass(:table))"
            ),
            {"table": table},
        ).scalar_one()
    )


def months(connection: Connection, table: str) -> list[Month]:
    """The months that have a partition attached to `table`, oldest first."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).scalars()
    found = []
    for name in rows:
        match = _NAME.match(name)
        if match and match["year"]:
            found.append(Month(int(match["year"]), int(match["month"])))
    return sorted(found)


def ensure(connection: Connection, wanted: list[Month], table: str | None = None) -> int:
    """Make the partitions of `wanted` months that have none (of `table`, or of every table),
    moving those months' rows out of the default partition first; the partitions made."""
    _lock(connection)
    made = 0
    for name, column in MONTHLY.items():
        if table not in (None, name):
            continue
        have = set(months(connection, name))
        for month in sorted(set(wanted) - have):
            _make(connection, name, column, month, month.start, month.next().start)
            made += 1
    for name, column in BLOCKS.items():
        if table not in (None, name) or not partitioned(connection, name):
            continue
        newest = max(months(connection, name), default=None)
        for month in sorted(set(wanted)):
            if newest is not None and month <= newest:
                continue  # blocks only follow the newest: an older one's ids are its range
            _make(connection, name, column, month, block_start(month), block_start(month.next()))
            made += 1
    return made


def between(first: Month, last: Month) -> list[Month]:
    """The months from `first` to `last`, both included."""
    found, month = [], first
    while month <= last:
        found.append(month)
        month = month.next()
    return found


def _make(
    connection: Connection,
    table: str,
    column: str,
    month: Month,
    lo: datetime | int,
    hi: datetime | int,
) -> None:
    """Make `table`'s partition of `month`: [lo, hi) of `column` (times, or a block of ids)."""
    name, default = partition_name(table, month), f"{table}_default"
    bounds = {"lo": lo, "hi": hi}
    within = f"{column} >= :lo AND {column} < :hi"
    strays = connection.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {within})"), bounds
    ).scalar_one()
    if strays and table in BLOCKS:  # moving them would delete their units and deliveries
        raise PartitionError(f"{default} holds ids of {month}'s block: its partition is not made")
    if strays:  # a partition cannot be made while the default holds rows of its range
        connection.execute(
            text(
                f"CREATE TEMP TABLE ducha_moving ON COMMIT DROP AS WITH gone AS"
                f" (DELETE FROM {default} WHERE {within} RETURNING *) SELECT * FROM gone"
            ),
            bounds,
        )
    connection.execute(
        text(
            f"CREATE TABLE {name} PARTITION OF {table}"
            f" FOR VALUES FROM ({_literal(lo)}) TO ({_literal(hi)})"
        )
    )
    if strays:
        connection.execute(text(f"INSERT INTO {table} SELECT * FROM ducha_moving"))
        connection.execute(text("DROP TABLE ducha_moving"))
    if table == UNITS:
        connection.execute(text(_units_key(name, partition_name(OUTBOX, month))))


def _units_key(units: str, events: str) -> str:
    """The units' key to their event, month to month: a key from the partitioned units to the
    partitioned events is checked through every month (~0.2 ms more per change's events)."""
    return (
        f"ALTER TABLE {units} ADD CONSTRAINT {units}_event_row_id_fkey FOREIGN KEY (event_row_id)"
        f" REFERENCES {events}(id) ON DELETE CASCADE"
    )


def _literal(bound: datetime | int) -> str:
    return f"'{bound.isoformat()}'" if isinstance(bound, datetime) else str(int(bound))


def _lock(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def archive(session: Session, table: str, month: Month, *, drop: bool = False) -> str:
    """Detach `table`'s partition of `month` (and drop it with `drop`); the partition's name.

    Refused (PartitionError) on SQLite, for a table not partitioned by month, for the current
    month or a later one (rows are still being appended to it), and for a month without a
    partition. The table's `before_archive` hooks run first, in the same transaction.
    """
    connection = session.connection()
    if table not in MONTHLY:
        raise PartitionError(
            f"table {table!r}: only {', '.join(MONTHLY)} are archived by month"
            " (the outbox's months go by its retention window)"
        )
    if not partitioned(connection):
        raise PartitionError("months are archived on PostgreSQL only (SQLite keeps plain tables)")
    current = Month.of(clock.now())
    if month >= current:
        raise PartitionError(f"month {month}: only months before the current one ({current})")
    _lock(connection)
    if month not in months(connection, table):
        raise PartitionError(f"month {month}: {table} has no partition of it (archived already?)")
    name = partition_name(table, month)
    for hook in _HOOKS.get(table, []):
        hook(session, name)
    connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
    if drop:
        connection.execute(text(f"DROP TABLE {name}"))
    return name


def blocks(connection: Connection) -> list[tuple[Month, int | None, int]]:
    """The outbox's months, oldest first, with the ids each holds: [lo, hi); lo None: from the
    lowest (the month the outbox was first partitioned in holds every older id too)."""
    rows = connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": OUTBOX},
    ).all()
    found = []
    for name, bound in rows:
        month, match = _NAME.match(name), _BOUND.search(bound)
        if month and month["year"] and match:
            low = None if match[1] == "MINVALUE" else int(match[1])
            found.append((Month(int(month["year"]), int(month["month"])), low, int(match[2])))
    return sorted(found, key=lambda block: block[0])


def lock_block(connection: Connection, month: Month) -> tuple[int | None, int] | None:
    """Lock the outbox's partitions of `month` against any change until the transaction ends
    (readers go on, and writers of other months); the ids they hold, [lo, hi) (`blocks`), or
    None: they are gone (another process dropped them)."""
    _lock(connection)
    found = [(lo, hi) for held, lo, hi in blocks(connection) if held == month]
    if not found:
        return None
    names = ", ".join(partition_name(table, month) for table in BLOCKS)
    connection.execute(text(f"LOCK TABLE {names} IN SHARE MODE"))
    return found[0]


def drop_block(connection: Connection, month: Month, ids: tuple[int | None, int]) -> None:
    """Drop the outbox's partitions of `month`, holding `ids` (its units' first). The caller
    holds them by `lock_block` and has checked that every event in them may go; what references
    them from elsewhere (webhook deliveries) goes as their ON DELETE CASCADE takes it, and a
    reference that would not cascade refuses the drop. Detaching locks the whole outbox for the
    moment of the catalogue change."""
    lo, hi = ids
    for table, column, cascades in _referencing(connection, OUTBOX):
        if table in BLOCKS:
            continue
        if not cascades:
            raise PartitionError(
                f"{table}.{column} references the outbox without ON DELETE CASCADE"
            )
        within = f"{column} < :hi" + ("" if lo is None else f" AND {column} >= :lo")
        connection.execute(text(f"DELETE FROM {table} WHERE {within}"), {"lo": lo, "hi": hi})
    for table in reversed(BLOCKS):
        name = partition_name(table, month)
        connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
        connection.execute(text(f"DROP TABLE {name}"))


def _referencing(connection: Connection, table: str) -> list[tuple[str, str, bool]]:
    """The foreign keys on `table`'s rows: (table, column, whether a delete cascades)."""
    rows = connection.execute(
        text(
            "SELECT c.conrelid::regclass::text, a.attname, c.confdeltype = 'c'"
            " FROM pg_constraint c JOIN pg_attribute a"
            " ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = to_regclass(:table) AND c.conparentid = 0"
        ),
        {"table": table},
    )
    return [(name, column, bool(cascades)) for name, column, cascades in rows]


@contextmanager
def planned_once(session: Session) -> Iterator[None]:
    """Reads of a monthly table inside: PostgreSQL plans a query over every month's partition
    (~3 ms at five years of months) each time it is planned for its parameters; a prepared
    statement's generic plan is made once per connection and skips the months at run time."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    yield  # on an error the transaction rolls back, and the setting with it
    if postgresql:
        session.execute(text("SET LOCAL plan_cache_mode = auto"))


class Partitions:
    """The partitions worker: the current month and `AHEAD` more exist for every table, and the
    default partitions' rows are moved to their months (PostgreSQL; nothing to do on SQLite)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def round(self) -> int:
        """The partitions made this round (0: every month had one)."""
        return self.db.transaction(lambda session: self.keep_ahead(session.connection()))

    @staticmethod
    def keep_ahead(connection: Connection) -> int:
        if not partitioned(connection):
            return 0
        current = Month.of(clock.now())
        made = ensure(connection, between(current, current.next(AHEAD)))
        for table, column in MONTHLY.items():  # rows of older months that had no partition
            strays = connection.execute(
                text(
                    f"SELECT DISTINCT date_trunc('month', {column} AT TIME ZONE 'UTC')"
                    f" FROM {table}_default WHERE {column} < :start"
                ),
                {"start": current.start},
            ).scalars()
            made += ensure(connection, [Month.of(start) for start in strays], table)
        if partitioned(connection, OUTBOX):
            # the month's outbox ids from its block on (never back: ids only grow)
            connection.execute(
                text(
                    f"SELECT setval('{SEQUENCE}', :start, false) FROM {SEQUENCE}"
                    " WHERE last_value < :start"
                ),
                {"start": block_start(current)},
            )
        return made
