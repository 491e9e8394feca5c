"""Monthly partitions of the append-only tables on PostgreSQL (years of data).

`history_events` (an instance's history) and `audit_log` (the audit trail) grow for as long as
the service runs and are never changed: on PostgreSQL each is partitioned by month of its `at`
(migration 0027), one partition `<table>_YYYY_MM` per month (UTC) and a `<table>_default` for a
row of a month that has none yet. Archiving a month is detaching its partition (`archive`): its
rows leave the table in one catalogue change instead of a DELETE of every row, and the
detached table stays in the database to be dumped (`pg_dump -t`) and dropped. Nothing is archived
unless an operator asks (`ducha archive`): the seed requires matters to stay traceable.

The partitions worker (`Partitions.round`) keeps the coming months' partitions made ahead, and
moves into its month's partition what fell into the default one (the worker stopped for months,
rows imported with old times). SQLite keeps plain tables: everything here refuses it.

Before a month of a table leaves, the hooks registered for that table (`before_archive`) run in
the same transaction: the audit trail records the hashes at the edges of what leaves, so that
the chain stays verifiable across what is kept (`app.identity.audit`).
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from app.db import Database
from app.kit.clock import clock

MONTHLY: dict[str, str] = {"history_events": "at", "audit_log": "at"}
"""The tables partitioned by month on PostgreSQL, and the column whose month decides."""

AHEAD = 3
"""Months made ahead of the current one, so that a row never waits for its partition."""

_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?:(?P<year>\d{4})_(?P<month>\d{2})|default)$")
_LOCK = 0x6475636861_7061  # one maintainer of the partitions at a time, across processes

ArchiveHook = Callable[[Session, str], None]
"""Runs before the named partition of a table leaves it, in the same transaction."""

_HOOKS: dict[str, list[ArchiveHook]] = {}


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
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    def suffix(self) -> str:
        return f"{self.year:04d}_{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def partition_name(table: str, month: Month) -> str:
    return f"{table}_{month.suffix()}"


def is_partition(name: str) -> bool:
    """Whether a table name is one of the monthly partitions (made here, not by a model)."""
    match = _NAME.match(name)
    return bool(match and match["table"] in MONTHLY)


def before_archive(table: str, hook: ArchiveHook) -> None:
    """Run `hook(session, partition)` before a month of `table` is archived."""
    hooks = _HOOKS.setdefault(table, [])
    if hook not in hooks:
        hooks.append(hook)


def partitioned(connection: Connection) -> bool:
    """Whether this database partitions the monthly tables (PostgreSQL after migration 0027)."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table"
                " WHERE partrelid = to_regclass('audit_log'))"
            )
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
            _make(connection, name, column, month)
            made += 1
    return made


def between(first: Month, last: Month) -> list[Month]:
    """The months from `first` to `last`, both included."""
    found, month = [], first
    while month <= last:
        found.append(month)
        month = month.next()
    return found


def _make(connection: Connection, table: str, column: str, month: Month) -> None:
    name, default = partition_name(table, month), f"{table}_default"
    bounds = {"lo": month.start, "hi": month.next().start}
    within = f"{column} >= :lo AND {column} < :hi"
    strays = connection.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {within})"), bounds
    ).scalar_one()
    if strays:  # a partition cannot be made while the default holds rows of its range
        connection.execute(
            text(
                f"CREATE TEMP TABLE ducha_moving ON COMMIT DROP AS WITH gone AS"
                f" (DELETE FROM {default} WHERE {within} RETURNING *) SELECT * FROM gone"
            ),
            bounds,
        )
    lo, hi = month.start.isoformat(), month.next().start.isoformat()
    connection.execute(
        text(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )
    if strays:
        connection.execute(text(f"INSERT INTO {table} SELECT * FROM ducha_moving"))
        connection.execute(text("DROP TABLE ducha_moving"))


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
        raise PartitionError(f"table {table!r}: only {', '.join(MONTHLY)} are kept by month")
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
        return made
