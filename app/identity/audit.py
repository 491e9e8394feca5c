"""Append to the audit chain (with the commit of the change) and verify it.

Each row carries the SHA-256 of its content and of the previous row's hash; the newest hash is
also kept in a one-row table, `audit_chain_head`. `record` computes a row's content where the
change happens and the row is appended when its transaction commits: on PostgreSQL in one
statement sent in the same round trip as the COMMIT (`app.db.send_last`) — it upserts the head,
computing the new hash in the database from the old one under the head row's lock, and inserts
the row with both hashes. The lock serialises appends across processes and is held only while
the server commits; row ids follow the chain's order because the id is drawn under that lock.
`verify` walks the rows in id order and checks that the chain reaches the recorded head, which
also detects rows removed from the end.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import partitions
from app.db import UTCDateTime, send_last
from app.identity.models import HEAD_ID, AuditAnchor, AuditChainHead, AuditRecord
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.columns import Json

GENESIS = "0" * 64
# The columns of a row that the caller provides (the hashes come from the chain).
_CONTENT = (
    "at",
    "actor_sub",
    "actor_name",
    "actor_unit",
    "actor_roles",
    "address",
    "action",
    "object_type",
    "object_id",
    "instance_id",
    "unit_code",
    "data",
)
_TYPES: dict[str, Any] = {"at": UTCDateTime(), "actor_roles": Json}


def _new_hash(prefix_and_head_and_suffix: ColumnElement[str], dialect: str) -> Any:
    if dialect == "postgresql":
        return func.encode(func.sha256(func.convert_to(prefix_and_head_and_suffix, "UTF8")), "hex")
    return func.ducha_sha256(prefix_and_head_and_suffix)  # registered on SQLite connections


def _advance_head(dialect: str) -> Any:
    """UPDATE of the head: prev_hash := hash, hash := sha256(prefix || hash || suffix)."""
    text = (
        bindparam("prefix", type_=String())
        + AuditChainHead.hash
        + bindparam("suffix", type_=String())
    )
    return (
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(prev_hash=AuditChainHead.hash, hash=_new_hash(text, dialect))
        .returning(AuditChainHead.prev_hash, AuditChainHead.hash)
    )


_LAST_HASH = select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)


def _append_postgresql() -> Any:
    """One statement: advance the head — or create it at the newest row, in a database whose
    head is missing (an emptied one) — and insert the row with the hashes it returned."""
    prefix, suffix = bindparam("prefix", type_=String()), bindparam("suffix", type_=String())
    newest = func.coalesce(_LAST_HASH.scalar_subquery(), literal(GENESIS))
    first = _new_hash(prefix + newest + suffix, "postgresql")
    head = (
        pg_insert(AuditChainHead)
        .values(id=HEAD_ID, prev_hash=newest, hash=first)
        .on_conflict_do_update(
            index_elements=[AuditChainHead.id],
            set_={
                "prev_hash": AuditChainHead.hash,
                "hash": _new_hash(prefix + AuditChainHead.hash + suffix, "postgresql"),
            },
        )
        .returning(AuditChainHead.prev_hash, AuditChainHead.hash)
        .cte("head")
    )
    content: list[Any] = [bindparam(name, type_=_TYPES.get(name)) for name in _CONTENT]
    return insert(AuditRecord).from_select(
        [*_CONTENT, "prev_hash", "hash"], select(*content, head.c.prev_hash, head.c.hash)
    )


_APPEND_POSTGRESQL = _append_postgresql()
_ADVANCE_SQLITE = _advance_head("sqlite")  # SQLite has no UPDATE in WITH: two statements there
_INSERT_ROW = insert(AuditRecord)
_HEAD = select(AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)


@dataclass(frozen=True)
class Rider:
    """Rows a higher package writes in the audit append's statement on PostgreSQL (one round
    trip fewer): `ctes` builds its WITH clauses once, `take` gives their parameters from the
    session — taking them, so they are written once — or None when nothing waits. The event
    outbox is one: a request's events ride with its audit row."""

    name: str
    ctes: Callable[[], list[Any]]
    take: Callable[[Session], dict[str, Any] | None]


_RIDERS: list[Rider] = []
_WITH_RIDERS: dict[tuple[str, ...], Any] = {}


def ride_along(rider: Rider) -> None:
    """Register a rider (once per name: a module imported again does not add it twice)."""
    if all(known.name != rider.name for known in _RIDERS):
        _RIDERS.append(rider)


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: str | None,
    instance_id: str | None = None,
    unit_code: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one row to the transaction: appended to the chain when it commits (never if it
    rolls back), after everything else the transaction writes."""
    row = {
        "at": clock.now(),
        "actor_sub": principal.sub,
        "actor_name": principal.name,
        "actor_unit": principal.unit,
        "actor_roles": sorted(principal.roles),
        "address": principal.address,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "instance_id": instance_id,
        "unit_code": unit_code or principal.unit,
        "data": canonical(data) if data is not None else None,
    }
    prefix, suffix = _digest_parts(row)
    session.info.setdefault(PENDING, []).append({**row, "prefix": prefix, "suffix": suffix})


PENDING = "ducha_audit_pending"


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    """Append the transaction's rows (a savepoint's commit leaves them to the outer one)."""
    if session.in_nested_transaction():
        return
    rows = session.info.pop(PENDING, None)
    if rows:
        append(session, rows)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append `rows` (content, prefix and suffix) to the chain, in order, in the session's
    transaction; the riders' rows go with the first on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for params in rows:
            if not _append_sqlite(connection, params):
                _create_head(connection)  # an empty (or emptied) database: start the head, once
                if not _append_sqlite(connection, params):
                    raise RuntimeError("the audit chain head is missing and could not be created")
        return
    for params in rows:
        riding = []
        for rider in _RIDERS:
            taken = rider.take(session)
            if taken is not None:
                params = {**params, **taken}
                riding.append(rider)
        send_last(session, _with_riders(riding), params)


def _with_riders(riding: list[Rider]) -> Any:
    """The append with the riders' WITH clauses (built once per combination)."""
    if not riding:
        return _APPEND_POSTGRESQL
    names = tuple(rider.name for rider in riding)
    statement = _WITH_RIDERS.get(names)
    if statement is None:
        ctes = [cte for rider in riding for cte in rider.ctes()]
        statement = _WITH_RIDERS[names] = _append_postgresql().add_cte(*ctes)
    return statement


def _append_sqlite(connection: Connection, params: dict[str, Any]) -> bool:
    """Advance the head and insert the row (two statements); False when there is no head row."""
    prefix, suffix = params["prefix"], params["suffix"]
    hashes = connection.execute(_ADVANCE_SQLITE, {"prefix": prefix, "suffix": suffix}).first()
    if hashes is None:
        return False
    row = {name: params[name] for name in _CONTENT}
    connection.execute(_INSERT_ROW, {**row, "prev_hash": hashes[0], "hash": hashes[1]})
    return True


def _create_head(connection: Connection) -> None:
    """The head row on SQLite, pointing at the newest row (or the genesis hash)."""
    last = connection.execute(_LAST_HASH).scalar() or GENESIS
    values = {"id": HEAD_ID, "prev_hash": last, "hash": last}
    connection.execute(sqlite_insert(AuditChainHead).values(values).on_conflict_do_nothing())


def _digest_parts(row: dict[str, Any]) -> tuple[str, str]:
    """The canonical text that `digest` hashes, split around the previous hash.

    canonical() sorts keys, so the text is {"actor","address","at","data",} "prev" {,"what"}.
    """
    content = _content(row)
    what = content.pop("what")
    del content["prev"]
    prefix = canonical(content)[:-1] + ',"prev":"'
    suffix = '","what":' + canonical(what) + "}"
    return prefix, suffix


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": row["at"].isoformat(timespec="microseconds"),
        "actor": [
            row["actor_sub"],
            row["actor_name"],
            row["actor_unit"],
            sorted(row["actor_roles"]),
        ],
        "address": row["address"],
        "what": [
            row["action"],
            row["object_type"],
            row["object_id"],
            row["instance_id"],
            row["unit_code"],
        ],
        "data": row["data"],
        "prev": row.get("prev_hash"),
    }


def digest(row: AuditRecord) -> str:
    """SHA-256 over the row's content and its predecessor's hash."""
    content = _content({c: getattr(row, c) for c in (*_CONTENT, "prev_hash")})
    return hashlib.sha256(canonical(content).encode()).hexdigest()


@dataclass
class Verification:
    """The result of walking the chain: ok, or the first row that breaks it and why.

    `checked` counts the rows kept and checked; `archived` the rows of archived months that the
    walk stepped over through their anchors.
    """

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    archived: int = 0


def verify(session: Session) -> Verification:
    """Walk the whole chain in order; any edited, deleted or inserted row breaks it.

    The runs of rows that archived months took away (`AuditAnchor`) are stepped over by their
    edges' hashes, in their place in id order: a row removed any other way still breaks it.
    """
    head = session.scalar(_HEAD)  # first: rows appended later come after it in the walk
    anchors = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.first_id)))
    previous = GENESIS
    checked = archived = 0
    reached_head = head is None or head == GENESIS

    def step_over(anchor: AuditAnchor) -> bool:
        nonlocal previous, archived, reached_head
        if anchor.prev_hash != previous:
            return False
        previous, archived = anchor.hash, archived + anchor.rows
        reached_head = reached_head or anchor.hash == head
        return True

    upcoming = iter(anchors)
    anchor = next(upcoming, None)
    for row in session.scalars(
        select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=1000)
    ):
        while anchor is not None and anchor.first_id < row.id:
            if not step_over(anchor):
                return _broken_at_anchor(anchor, checked, archived)
            anchor = next(upcoming, None)
        if row.prev_hash != previous:
            return Verification(
                False, checked, row.id, "the previous row was changed or removed", archived
            )
        if digest(row) != row.hash:
            return Verification(False, checked, row.id, "the row's content was changed", archived)
        previous = row.hash
        reached_head = reached_head or row.hash == head
        checked += 1
    while anchor is not None:
        if not step_over(anchor):
            return _broken_at_anchor(anchor, checked, archived)
        anchor = next(upcoming, None)
    if not reached_head:
        return Verification(
            False,
            checked,
            None,
            "the chain ends before its recorded head: newest rows removed",
            archived,
        )
    return Verification(True, checked, archived=archived)


def _broken_at_anchor(anchor: AuditAnchor, checked: int, archived: int) -> Verification:
    reason = (
        f"the rows before the archived rows {anchor.first_id}..{anchor.last_id}"
        f" ({anchor.partition}) were changed or removed"
    )
    return Verification(False, checked, anchor.first_id, reason, archived)


def anchor_archived(session: Session, partition: str) -> None:
    """Record the runs of chain rows that `partition` (a month of `audit_log` about to be
    archived) holds, as anchors; see `AuditAnchor`. A run ends where a row of another month, or
    an earlier anchor, comes between two of the partition's rows."""
    table = AuditRecord.__table__
    edges = session.execute(text(f"SELECT min(id), max(id) FROM {partition}")).one()
    if edges[0] is None:
        return
    rows = session.execute(
        select(table.c.id, table.c.prev_hash, table.c.hash, text("tableoid::regclass::text")).where(
            table.c.id.between(*edges)
        )
    ).all()
    # what else sits in that stretch of the chain: other months' rows, earlier anchors
    others = session.scalars(
        select(AuditAnchor.first_id).where(AuditAnchor.first_id.between(*edges))
    )
    chain = sorted(
        [(row_id, (prev, h) if where == partition else None) for row_id, prev, h, where in rows]
        + [(first_id, None) for first_id in others],
        key=lambda item: item[0],
    )
    now, runs, run = clock.now(), [], None
    for row_id, hashes in chain:
        if hashes is None:  # the run ends here
            run = None
        elif run is None:
            run = [row_id, row_id, hashes[0], hashes[1], 1]
            runs.append(run)
        else:
            run[1], run[3], run[4] = row_id, hashes[1], run[4] + 1
    session.add_all(_anchor(run, partition, now) for run in runs)
    session.flush()


partitions.before_archive("audit_log", anchor_archived)


def _anchor(run: list[Any], partition: str, now: Any) -> AuditAnchor:
    first_id, last_id, prev_hash, hash_, rows = run
    return AuditAnchor(
        first_id=first_id,
        last_id=last_id,
        prev_hash=prev_hash,
        hash=hash_,
        rows=rows,
        partition=partition,
        archived_at=now,
    )


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_change(
    session: Session,
    principal: Principal,
    action: str,
    row: Any,
    *,
    object_type: str,
    data: dict[str, Any],
    unit_code: str | None = None,
    instance_id: Any = None,
) -> None:
    """Audit a change of `row` (an object with an `id`) by `principal`: the one helper route
    modules call, in the transaction of the change.

    The instance is `instance_id` if given, else the row's own `instance_id` (if it has one).
    """
    instance = instance_id if instance_id is not None else getattr(row, "instance_id", None)
    record(
        session,
        principal,
        action,
        object_type=object_type,
        object_id=str(row.id),
        instance_id=str(instance) if instance is not None else None,
        unit_code=unit_code,
        data=data,
    )
