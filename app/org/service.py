"""Units: create or update, load a tree from CSV/JSON, and subtree arithmetic."""

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.kit.clock import clock
from app.kit.errors import InvalidData, NotFound
from app.org.models import Unit
from app.org.schemas import UnitIn

T = TypeVar("T")

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}
# Where a database's UnitTreeCache sits in Session.info (app.main gives each database one).
TREE_CACHE = "unit_tree"


class UnitTreeCache:
    """Unit paths read for scoping, kept for `seconds`: every request checks its caller's scope.

    Cleared in this process whenever a unit is written here (at the write and again after its
    commit), so only another process's change can be up to `seconds` late. A value read while
    a clear happened is not kept (the generation check).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._items: dict[tuple[str, str], tuple[float, Any]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def lookup(self, key: tuple[str, str], read: Callable[[], T]) -> T:
        """The cached value of `key`, or `read()` kept for next time."""
        found = self._items.get(key)
        if found is not None and found[0] > time.monotonic():
            value: T = found[1]
            return value
        generation = self._generation
        value = read()
        with self._lock:
            if generation == self._generation and self.seconds > 0:
                self._items[key] = (time.monotonic() + self.seconds, value)
        return value

    def cached(self, key: tuple[str, str]) -> tuple[bool, Any]:
        """(True, value) when `key` is cached and fresh; (False, None) otherwise. Reads no table."""
        found = self._items.get(key)
        if found is not None and found[0] > time.monotonic():
            return True, found[1]
        return False, None

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()


def _tree_cache(session: Session) -> UnitTreeCache | None:
    cache: UnitTreeCache | None = session.info.get(TREE_CACHE)
    return cache


def path_of(session: Session, code: str) -> str | None:
    """A unit's path (codes from the root down, `/`-terminated), or None if there is no unit."""

    def read() -> str | None:
        return session.scalar(select(Unit.path).where(Unit.code == code))

    cache = _tree_cache(session)
    return read() if cache is None else cache.lookup(("path", code), read)


def name_of(session: Session, code: str) -> str | None:
    """A unit's name (None if there is no unit), through the unit-tree cache: summaries name
    units on every step, and a rename reaches them as it reaches scoping."""

    def read() -> str | None:
        return session.scalar(select(Unit.name).where(Unit.code == code))

    cache = _tree_cache(session)
    return read() if cache is None else cache.lookup(("name", code), read)


def codes_below(session: Session, path: str) -> frozenset[str]:
    """The codes of the units at and below `path` (a subtree), through the unit-tree cache: a
    scope's subtree is written into SQL as these codes, which the planner can estimate and an
    index on a unit column can serve (a `path LIKE` subquery is neither)."""

    def read() -> frozenset[str]:
        below = select(Unit.code).where(Unit.path.startswith(path, autoescape=True))
        return frozenset(session.scalars(below))

    cache = _tree_cache(session)
    return read() if cache is None else cache.lookup(("below", path), read)


def codes_named(session: Session, part: str) -> frozenset[str]:
    """The codes of the units whose name holds `part` (as SQL's `LIKE`, case kept), through the
    unit-tree cache (every unit's name read once): a search names its units in SQL as a list of
    codes, which the planner can estimate — a subquery of names it takes for half of every row."""

    def read() -> tuple[tuple[str, str], ...]:
        return tuple(session.execute(select(Unit.code, Unit.name)).tuples())

    cache = _tree_cache(session)
    names = read() if cache is None else cache.lookup(("names", ""), read)
    return frozenset(code for code, name in names if part in name)


def known_in_cache(session_info: dict[str, Any], code: str) -> bool | None:
    """Whether a unit exists, from the unit-tree cache alone (None: not cached, ask `path_of`)."""
    cache: UnitTreeCache | None = session_info.get(TREE_CACHE)
    if cache is None:
        return None
    hit, path = cache.cached(("path", code))
    return (path is not None) if hit else None


def auto_create(session: Session, code: str, parent_code: str | None) -> Unit:
    """A unit first seen in a trusted token (settings.auth_auto_create_units): a department
    under `parent_code`, at its level, or a top-level province department when there is none.
    Named by its code until an admin names it."""
    level = "province"
    if parent_code is not None:
        parent = session.get(Unit, parent_code)
        if parent is None:
            raise InvalidData(
                f"the parent of auto-created units, '{parent_code}', is not a unit",
                errors=[{"field": "auth_auto_create_parent", "message": "unknown unit"}],
            )
        level = parent.level
    try:
        data = UnitIn(code=code, name=code, kind="department", level=level, parent_code=parent_code)
    except ValidationError as exc:
        raise InvalidData(
            f"'{code[:64]}' cannot be a unit code",
            errors=[{"field": "unit", "message": exc.errors()[0]["msg"]}],
        ) from exc
    unit, _created = upsert(session, data)
    return unit


def government_path(session: Session, code: str) -> str | None:
    """The path of the nearest government at or above a unit (the office serves it)."""

    def read() -> str | None:
        path = path_of(session, code)
        if path is None:
            return None
        codes = path.rstrip("/").split("/")
        governments = set(
            session.scalars(
                select(Unit.code).where(Unit.code.in_(codes), Unit.kind == "government")
            )
        )
        for depth in range(len(codes), 0, -1):
            if codes[depth - 1] in governments:
                return "/".join(codes[:depth]) + "/"
        return path

    cache = _tree_cache(session)
    return read() if cache is None else cache.lookup(("government", code), read)


def _units_changed(session: Session) -> None:
    """Forget cached paths now and once the change is committed (readers in between may have
    read the old tree)."""
    cache = _tree_cache(session)
    if cache is None:
        return
    cache.clear()

    def after_commit(_session: Any) -> None:
        cache.clear()

    event.listen(session, "after_commit", after_commit, once=True)


def get(session: Session, code: str) -> Unit:
    """One unit, or 404."""
    unit = session.get(Unit, code)
    if unit is None:
        raise NotFound(f"unit '{code}' not found")
    return unit


def children(session: Session, code: str) -> list[Unit]:
    """The direct children of a unit, by code."""
    return list(session.scalars(select(Unit).where(Unit.parent_code == code).order_by(Unit.code)))


def upsert(session: Session, data: UnitIn) -> tuple[Unit, bool]:
    """Create a unit, or update the one with this code; returns (unit, created)."""
    parent = None
    if data.parent_code is not None:
        parent = session.get(Unit, data.parent_code)
        if parent is None:
            raise InvalidData(
                f"parent unit '{data.parent_code}' does not exist",
                errors=[{"field": "parent_code", "message": "unknown unit"}],
            )
        if LEVEL_ORDER[data.level] < LEVEL_ORDER[parent.level]:
            raise InvalidData(
                "a unit cannot be above its parent's level",
                errors=[{"field": "level", "message": f"parent is {parent.level}"}],
            )
        if f"/{data.code}/" in f"/{parent.path}":
            raise InvalidData(
                "a unit cannot be its own ancestor",
                errors=[{"field": "parent_code", "message": "cycle"}],
            )
    path = f"{parent.path}{data.code}/" if parent else f"{data.code}/"
    now = clock.now()
    unit = session.get(Unit, data.code)
    created = unit is None
    if unit is None:
        unit = Unit(code=data.code, created_at=now)
        session.add(unit)
    old_path = unit.path if not created else None
    unit.name, unit.kind, unit.level = data.name, data.kind, data.level
    unit.parent_code, unit.path, unit.active, unit.updated_at = (
        data.parent_code,
        path,
        data.active,
        now,
    )
    session.flush()
    if old_path and old_path != path:
        _move_subtree(session, old_path, path)
    _units_changed(session)
    return unit, created


def _move_subtree(session: Session, old: str, new: str) -> None:
    for unit in session.scalars(select(Unit).where(Unit.path.startswith(old, autoescape=True))):
        if unit.path != new:
            unit.path = new + unit.path[len(old) :]
    session.flush()


def load(session: Session, rows: Iterable[dict[str, object]]) -> int:
    """Create or update units from rows (parents before children is not required)."""
    pending = [_parse(index, row) for index, row in enumerate(rows)]
    loaded = 0
    while pending:
        known = {u.code for u in pending}
        ready = [u for u in pending if u.parent_code not in known]
        if not ready:
            raise InvalidData("the unit file contains a cycle", errors=[])
        for unit in ready:
            upsert(session, unit)
            loaded += 1
        pending = [u for u in pending if u not in ready]
    return loaded


def _parse(index: int, row: dict[str, object]) -> UnitIn:
    cleaned = {k: (v if v not in ("",) else None) for k, v in row.items()}
    try:
        return UnitIn.model_validate(cleaned)
    except ValidationError as exc:
        errors = [
            {"field": f"{index}.{'.'.join(str(p) for p in e['loc'])}", "message": e["msg"]}
            for e in exc.errors()
        ]
        raise InvalidData(f"unit row {index} is invalid", errors=errors) from exc


def read_file(path: Path) -> list[dict[str, object]]:
    """Rows of a unit file: a JSON list of objects, or a CSV with a header row."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, list):
            raise InvalidData("a JSON unit file is a list of units", errors=[])
        return data
    return list(csv.DictReader(io.StringIO(text)))
