"""One page of a query: the items as a schema, with the total — at the cost of the page.

Pages are read by offset (small lists, the console's pager) or by cursor (keyset: the rows after
the last one seen, in the list's order and then by id — as cheap at page 1,000 as at page 1).
The total is counted only when the page cannot tell it, and exactly only up to `COUNT_CAP`
rows; past that it is the planner's estimate (PostgreSQL) or the cap (SQLite), said as such.
An estimate is kept `ESTIMATE_SECONDS` per process for the same query (planning a query over
five years of monthly partitions to estimate it costs more than reading its page).
"""

import base64
import functools
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, inspect, literal, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import desc_op

from app.kit.errors import InvalidData
from app.kit.shared import Page

COUNT_CAP = 1_000
"""Rows counted exactly for a list's total; past it, the total is an estimate."""

SEARCH_COUNT_CAP = 100
"""Rows counted exactly for a text search's total. A search is matched on each candidate's own
text, which no index holds, so its count reads the rows themselves (a matter's row holds its
content): counting to 1,000 read ~10,000 wide rows at five years of a department's matters."""

ESTIMATE_SECONDS = 60.0
"""How long a query's estimate is reused: the planner's statistics change only when the table is
analysed (every few thousand changed rows), so a minute-old estimate is as good as a new one."""


def page(
    s: Session,
    query: Any,
    order: Any,
    schema: Any,
    limit: int,
    offset: int,
    cursor: str | None = None,
    cap: int | None = None,
) -> Any:
    """One page of `query` (one entity) as `schema` items, with the total and the next cursor;
    the total is exact up to `cap` rows (`COUNT_CAP` when not given)."""
    found = page_rows(s, query, order, limit, offset, cursor, cap)
    return found.page([schema.model_validate(r) for r in found.rows], limit, offset)


@dataclass(frozen=True)
class Found:
    """A page's rows (the entity alone, or rows of the entity and added columns), its total,
    whether the total is an estimate, and the cursor of the next page (None on the last)."""

    rows: list[Any]
    total: int
    estimated: bool
    next_cursor: str | None

    def page(self, items: list[Any], limit: int, offset: int) -> Page[Any]:
        """The page's answer: `items` (made from `rows`) with the total and the next cursor."""
        return Page(
            items=items,
            total=self.total,
            limit=limit,
            offset=offset,
            total_is_estimate=self.estimated,
            next_cursor=self.next_cursor,
        )


def page_rows(
    s: Session,
    query: Any,
    order: Any,
    limit: int,
    offset: int,
    cursor: str | None = None,
    cap: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> Found:
    """One page of `query`, ordered by `order` then by the entity's id (a total order, so pages
    neither repeat nor skip rows that tie), after `cursor` when given.

    `params`: `query` is a statement kept for reuse (a `template`) whose values are these
    parameters. Its page statement is then built once too, with the limit and offset as
    parameters: a list read again and again (the inbox) neither builds its statement nor works
    out its cache key on each request (~1.3 ms of a ~4.5 ms task list)."""
    if cursor is not None and offset:
        raise InvalidData("give cursor or offset, not both", errors=[{"field": "offset"}])
    values = dict(params or {})
    if params is None:
        prepared = _Prepared(query, order)
        paged = prepared.paged.limit(limit).offset(offset)
    else:
        prepared = _prepared(query, order)
        paged = prepared.paged_by_parameters
        values.update({_LIMIT: limit, _OFFSET: offset})
    if cursor is not None:
        paged = paged.where(prepared.keys.after(cursor))
    found = s.scalars(paged, values) if prepared.single else s.execute(paged, values)
    rows = list(found)
    entities = rows if prepared.single else [r[0] for r in rows]
    keys = prepared.keys
    next_cursor = keys.cursor(entities[-1]) if len(rows) == limit and keys.usable else None
    if cursor is None and offset == 0 and len(rows) < limit:
        return Found(rows, len(rows), False, None)  # the whole list is on this page
    total, estimated = count(s, query, cap, params)
    return Found(rows, total, estimated, next_cursor)


_LIMIT, _OFFSET = "page_limit", "page_offset"


class _Prepared:
    """A query ordered for paging: its keyset, whether its rows are the entity alone, and the
    ordered statement (without, and with parameters for, its limit and offset)."""

    def __init__(self, query: Any, order: Any) -> None:
        descriptions = query.column_descriptions
        self.query, self.order = query, order
        self.keys = _Keys(descriptions[0].get("entity"), order)
        self.single = len(descriptions) == 1
        self.paged = query.order_by(*self.keys.order)

    @functools.cached_property
    def paged_by_parameters(self) -> Any:
        """The ordered statement with its limit and offset as parameters (a kept template's)."""
        return self.paged.limit(bindparam(_LIMIT, type_=Integer)).offset(
            bindparam(_OFFSET, type_=Integer)
        )


_PREPARED: OrderedDict[tuple[int, int], _Prepared] = OrderedDict()
_PREPARED_SIZE = 512
_PREPARED_LOCK = threading.Lock()


def _prepared(template: Any, order: Any) -> _Prepared:
    """The paging of a template, prepared once (a bounded map: templates are themselves kept
    in bounded caches; each entry holds its template, so an id is never reused meanwhile)."""
    key = (id(template), id(order))
    with _PREPARED_LOCK:
        known = _PREPARED.get(key)
        if known is not None and known.query is template and known.order is order:
            _PREPARED.move_to_end(key)
            return known
    prepared = _Prepared(template, order)
    with _PREPARED_LOCK:
        _PREPARED[key] = prepared
        while len(_PREPARED) > _PREPARED_SIZE:
            _PREPARED.popitem(last=False)
    return prepared


def count(
    s: Session,
    query: Select[Any],
    cap: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[int, bool]:
    """The rows `query` selects: exact up to `cap` (`COUNT_CAP` when not given), else estimated
    (True); `params`: the values of a template's parameters."""
    cap = COUNT_CAP if cap is None else cap
    # One constant per row, not the entity's columns: an index that holds the filters answers
    # the count without reading the rows (an index-only scan).
    narrow = query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    bounded = narrow.limit(cap + 1).subquery()
    exact = s.scalar(select(func.count()).select_from(bounded), params) or 0
    if exact <= cap:
        return exact, False
    return max(exact, _estimate(s, query.order_by(None), params)), True


def _estimate(s: Session, query: Select[Any], params: Mapping[str, Any] | None = None) -> int:
    """The planner's row estimate for `query` with `params` (PostgreSQL); 0 where there is
    none."""
    connection = s.connection()
    if connection.dialect.name != "postgresql":
        return 0
    key = _estimate_key(connection.engine.url, query, params)
    known = None if key is None else _ESTIMATES.get(key)
    if known is not None:
        return known
    # The statement as sent: its IN lists and literals rendered, `params` among its values.
    expanded = query.compile(dialect=connection.dialect).construct_expanded_state(params)
    sql = "EXPLAIN (FORMAT JSON) " + expanded.statement
    plan = connection.exec_driver_sql(sql, expanded.parameters).scalar()
    document: Any = json.loads(plan) if isinstance(plan, str) else plan
    rows = int(document[0]["Plan"]["Plan Rows"])
    if key is not None:
        _ESTIMATES.put(key, rows)
    return rows


def _estimate_key(url: Any, query: Select[Any], params: Mapping[str, Any] | None = None) -> Any:
    """The query's statement cache key with its parameters' values (None: not cacheable).
    Compiling the query to its text for a key cost ~3 ms a call: a quarter of a list's time."""
    cache_key = query._generate_cache_key()
    if cache_key is None:
        return None
    given = params or {}
    values = tuple(
        _frozen(given.get(bind.key, bind.effective_value)) for bind in cache_key.bindparams
    )
    key = (url, cache_key.key, values)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _frozen(value: Any) -> Any:
    """A parameter's value as a key: lists (an IN list, an array) as tuples."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


class _Recent:
    """A bounded map whose entries expire `ESTIMATE_SECONDS` after they were put."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[Any, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> int | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or time.monotonic() - entry[0] > ESTIMATE_SECONDS:
                return None
            return entry[1]

    def put(self, key: Any, value: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_ESTIMATES = _Recent()


@functools.cache
def _attributes_by_column(mapper: Any) -> dict[str, str]:
    """A mapped class's attribute names by their column's name (mappers live as long as the
    process)."""
    return {prop.columns[0].name: prop.key for prop in mapper.column_attrs}


class _Keys:
    """The keyset of a list: its order column (when it is a plain column of the entity) and the
    entity's primary key, both in the order's direction."""

    def __init__(self, entity: Any, order: Any) -> None:
        descending = isinstance(order, UnaryExpression) and order.modifier is desc_op
        column = order.element if isinstance(order, UnaryExpression) else order
        column = getattr(column, "expression", column)  # a mapped attribute: its column
        mapper: Any = inspect(entity, raiseerr=False) if entity is not None else None
        primary: tuple[Any, ...] = tuple(mapper.primary_key) if mapper is not None else ()
        # A NULL in the order column has no place in a keyset comparison: such lists page by
        # offset only.
        self.usable = (
            len(primary) == 1
            and getattr(column, "table", None) is not None
            and not getattr(column, "nullable", True)
        )
        if not self.usable:
            self.order = [order]
            return
        pk = primary[0]
        self.columns = [column] if column.name == pk.name else [column, pk]
        by_name = _attributes_by_column(mapper)
        self.attributes = [by_name[c.name] for c in self.columns]
        self.descending = descending
        self.order = [c.desc() if descending else c.asc() for c in self.columns]

    def cursor(self, row: Any) -> str:
        values = [_plain(getattr(row, name)) for name in self.attributes]
        raw = json.dumps(values, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def after(self, cursor: str) -> Any:
        if not self.usable:
            raise InvalidData("this list is not read by cursor", errors=[{"field": "cursor"}])
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.columns):
                raise ValueError("wrong shape")
            typed = [_typed(c, v) for c, v in zip(self.columns, values, strict=True)]
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidData(
                "the cursor is not one this list gave", errors=[{"field": "cursor"}]
            ) from exc
        key = tuple_(*self.columns)
        return key < tuple_(*typed) if self.descending else key > tuple_(*typed)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _typed(column: Any, value: Any) -> Any:
    """A cursor's value as the column's Python type (a time, an id, a number or a text)."""
    type_ = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator's stored type
    kind = type_.python_type
    if isinstance(value, bool):
        raise ValueError("not a key")
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind in (int, str) and isinstance(value, kind):
        return value
    raise ValueError(f"a {kind.__name__} was expected")
