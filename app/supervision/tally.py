"""The dashboard's summary (督查看板): closed matters counted once, so that the counts cost the
groups shown, not the years of matters behind them (issue "Years of data").

A closed matter is taken into the summary by `refresh` (a worker, every
`DUCHA_TALLY_INTERVAL_SECONDS`): it is counted under every scope that sees it — everything
(`*`), each unit it is read through (`unit:<code>`, see `MatterUnit`) and each subtree holding
one of them (`tree:<path>`) — once per group of each dimension, and marked `tallied` with what
it was counted as (`tallied_as`). The counts are exact at every instant, however old the summary:

- what the summary does not hold (open matters, matters closed since the refresh) is counted
  live (`NOT tallied`: a partial index);
- a change to a tallied matter (reopened by a look-back, a unit assigned) clears `tallied` in
  the same flush (`_leave`), and readers subtract it as it was counted until the next refresh
  takes it out of the summary.

Every write to a matter goes through the ORM, so `_leave` sees it; a Core UPDATE of a matter
must set `tallied = false` itself. A moved unit changes which subtrees see a matter: the refresh
notices the unit tree changed (`units_fingerprint`) and builds the summary anew.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, func, inspect, null, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

from app.identity.policy import Scope
from app.kit.clock import clock
from app.org import service as units
from app.org.models import Unit
from app.supervision.models import (
    Assignment,
    Matter,
    MatterTally,
    MatterTallyState,
    MatterUnit,
)

# `tallied_as` is cleared with SQL NULL (`null()`): a Python None would be stored as JSON null.
BATCH = 1_000
"""Matters one refresh transaction takes into (or out of) the summary: a short transaction (on
SQLite it holds the write lock), 100,000 closed matters taken in within a minute."""

DIMENSIONS = ("light", "status", "category", "source_type", "unit", "month")
"""The dashboard's groupings (`GET /console/matter-stats?group_by=`)."""

# A change to any of these moves a matter between groups (or out of "closed").
_COUNTED = ("status", "light", "category", "source_type", "lead_unit", "assigned_on")
STATE_ID = 1
_INSERTED = "ducha_matters_inserted"
"""`session.info`: the matters the session's transaction inserted."""
EVERYTHING = "*"


def groups_of(matter: Any) -> dict[str, str]:
    """The group of each dimension a matter falls in (as the live counts group it)."""
    return {
        "light": matter.light,
        "status": matter.status,
        "category": matter.category,
        "source_type": matter.source_type,
        "unit": matter.lead_unit,
        "month": matter.assigned_on.isoformat()[:7],
    }


def scope_keys(unit_codes: Iterable[str], paths: dict[str, str]) -> list[str]:
    """The keys of every scope that sees a matter read through `unit_codes`: everything, each
    unit, and each subtree (a unit's path and every path above it) holding one of them."""
    keys = {EVERYTHING}
    for code in unit_codes:
        keys.add(f"unit:{code}")
        path = paths.get(code)
        if path is None:
            continue
        parts = path.rstrip("/").split("/")
        keys.update(f"tree:{'/'.join(parts[:depth])}/" for depth in range(1, len(parts) + 1))
    return sorted(keys)


def key_of(session: Session, scope: Scope) -> str | None:
    """The summary's key for a caller's scope, or None when no one key says it (several
    subtrees, or an own unit outside the subtree): such callers are counted live."""
    if scope.everything:
        return EVERYTHING
    if not scope.subtrees:
        return f"unit:{next(iter(scope.units))}" if len(scope.units) == 1 else None
    if len(scope.subtrees) != 1:
        return None
    (tree,) = scope.subtrees
    for code in scope.units:
        path = units.path_of(session, code)
        if path is None or not path.startswith(tree):
            return None
    return f"tree:{tree}"


def held(session: Session, key: str, dimension: str, category: str | None) -> Counter[str]:
    """Matters the summary holds for scope `key`, per group of `dimension` (of one category,
    when given) — less those that left it since its refresh (counted live again)."""
    query = (
        select(MatterTally.value, func.sum(MatterTally.count))
        .where(MatterTally.scope_key == key, MatterTally.dimension == dimension)
        .group_by(MatterTally.value)
    )
    if category is not None:
        query = query.where(MatterTally.category == category)
    counts: Counter[str] = Counter({value: int(n) for value, n in session.execute(query)})
    left = select(Matter.tallied_as).where(~Matter.tallied, Matter.tallied_as.is_not(None))
    for counted in session.scalars(left):
        if key in counted["keys"] and category in (None, counted["groups"]["category"]):
            counts[counted["groups"][dimension]] -= 1
    return +counts  # groups left empty are not shown


def refresh(session: Session) -> int:
    """One round of the refresh, in the caller's transaction: take matters that left the
    summary out of it, then closed matters not yet in it into it, a batch of each; the matters
    moved (0: the summary is up to date)."""
    state = _lock(session)
    paths = dict(session.execute(select(Unit.code, Unit.path)).tuples().all())
    fingerprint = _units_fingerprint(paths)
    if state.units_fingerprint != fingerprint:
        _start_over(session)
        state.units_fingerprint = fingerprint
    delta: Counter[tuple[str, str, str, str]] = Counter()
    moved = _take_out(session, delta) + _take_in(session, delta, paths)
    _apply(session, delta)
    state.refreshed_at = clock.now()
    return moved


def refreshed_at(session: Session) -> Any:
    """When the summary was last refreshed (None: never)."""
    return session.scalar(
        select(MatterTallyState.refreshed_at).where(MatterTallyState.id == STATE_ID)
    )


def _lock(session: Session) -> MatterTallyState:
    """The state row, locked: one refresh at a time, whichever process runs it."""
    state = session.scalars(
        select(MatterTallyState).where(MatterTallyState.id == STATE_ID).with_for_update()
    ).first()
    if state is None:
        state = MatterTallyState(id=STATE_ID)
        session.add(state)
        session.flush()
    # SQLite: a write takes the database's write lock now (readers go on; writers wait).
    session.execute(
        update(MatterTallyState)
        .where(MatterTallyState.id == STATE_ID)
        .values(refreshed_at=MatterTallyState.refreshed_at)
    )
    return state


def _units_fingerprint(paths: dict[str, str]) -> str:
    """The unit tree as a digest of (code, path), in code order."""
    digest = hashlib.sha256()
    for code, path in sorted(paths.items()):
        digest.update(f"{code}\t{path}\n".encode())
    return digest.hexdigest()


def _start_over(session: Session) -> None:
    """Empty the summary: every matter is counted live until the refresh takes it in again."""
    session.execute(delete(MatterTally))
    session.execute(
        update(Matter)
        .where(Matter.tallied | Matter.tallied_as.is_not(None))
        .values(tallied=False, tallied_as=null())
        .execution_options(synchronize_session=False)
    )


def _take_out(session: Session, delta: Counter[tuple[str, str, str, str]]) -> int:
    """Matters changed since they were counted: their counts go."""
    rows = session.execute(
        select(Matter.id, Matter.tallied_as)
        .where(~Matter.tallied, Matter.tallied_as.is_not(None))
        .limit(BATCH)
        .with_for_update()
    ).all()
    for _id, counted in rows:
        _count(delta, counted, -1)
    if rows:
        session.execute(
            update(Matter)
            .where(Matter.id.in_([r.id for r in rows]))
            .values(tallied_as=null())
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def _take_in(
    session: Session, delta: Counter[tuple[str, str, str, str]], paths: dict[str, str]
) -> int:
    """Closed matters not yet counted: counted, and marked with what they were counted as."""
    chosen = session.execute(
        select(
            Matter.id,
            Matter.owner_unit,
            Matter.status,
            Matter.light,
            Matter.category,
            Matter.source_type,
            Matter.lead_unit,
            Matter.assigned_on,
        )
        .where(~Matter.tallied, Matter.tallied_as.is_(None), Matter.status == "closed")
        .limit(BATCH)
        .with_for_update()
    ).all()
    if not chosen:
        return 0
    reach: dict[Any, list[str]] = {}
    ids = [m.id for m in chosen]
    for matter_id, code in session.execute(
        select(MatterUnit.matter_id, MatterUnit.unit_code).where(MatterUnit.matter_id.in_(ids))
    ):
        reach.setdefault(matter_id, []).append(code)
    marks = []
    for matter in chosen:
        counted = {
            "keys": scope_keys(reach.get(matter.id, [matter.owner_unit]), paths),
            "groups": groups_of(matter),
        }
        _count(delta, counted, +1)
        marks.append({"id": matter.id, "tallied": True, "tallied_as": counted})
    session.execute(update(Matter), marks)  # by primary key, one statement for the batch
    return len(chosen)


def _count(delta: Counter[tuple[str, str, str, str]], counted: dict[str, Any], sign: int) -> None:
    groups = counted["groups"]
    for key in counted["keys"]:
        for dimension in DIMENSIONS:
            delta[(key, dimension, groups[dimension], groups["category"])] += sign


def _apply(session: Session, delta: Counter[tuple[str, str, str, str]]) -> None:
    """Add the changes to the summary's rows; rows that fall to zero go."""
    rows = [
        {"scope_key": k, "dimension": d, "value": v, "category": c, "count": n}
        for (k, d, v, c), n in delta.items()
        if n
    ]
    if not rows:
        return
    connection = session.connection()
    dialect = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect(MatterTally)
    upsert = statement.on_conflict_do_update(
        index_elements=["scope_key", "dimension", "value", "category"],
        set_={"count": MatterTally.count + statement.excluded.count},
    )
    for start in range(0, len(rows), 1_000):
        session.execute(upsert, rows[start : start + 1_000])
    session.execute(delete(MatterTally).where(MatterTally.count <= 0))


@event.listens_for(Session, "before_flush")
def _leave(session: Session, _context: Any, _instances: Any) -> None:
    """A tallied matter that changes leaves the summary in the same flush (`tallied` is
    written false whatever this session read, so a refresh committed since cannot be missed).
    A matter this transaction inserted is in no summary, and no refresh can see it yet."""
    inserted = session.info.get(_INSERTED, ())
    leaving = [
        m
        for m in session.dirty
        if isinstance(m, Matter) and m.id not in inserted and _changes_counts(m)
    ]
    with session.no_autoflush:
        for assignment in session.new:
            if isinstance(assignment, Assignment):
                matter = session.get(Matter, assignment.matter_id)
                if matter is not None and matter not in session.new and matter.id not in inserted:
                    leaving.append(matter)  # a unit more: more scopes see it
    for matter in leaving:
        matter.tallied = False
        attributes.flag_modified(matter, "tallied")


@event.listens_for(Session, "after_flush")
def _note_inserted(session: Session, _flush: Any) -> None:
    inserted = [m.id for m in session.new if isinstance(m, Matter)]
    if inserted:
        session.info.setdefault(_INSERTED, set()).update(inserted)


@event.listens_for(Session, "after_transaction_end")
def _forget_inserted(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # committed or rolled back: other transactions may see them
        session.info.pop(_INSERTED, None)


def _changes_counts(matter: Matter) -> bool:
    state = inspect(matter)
    return any(state.attrs[name].history.has_changes() for name in _COUNTED)
