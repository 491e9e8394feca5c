"""One page of a query: the items as a schema, with the total."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kit.shared import Page


def page(s: Session, query: Any, order: Any, schema: Any, limit: int, offset: int) -> Any:
    """One page of `query` as `schema` items, with the total."""
    rows, total = page_rows(s, query, order, limit, offset)
    return Page(
        items=[schema.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


def page_rows(s: Session, query: Any, order: Any, limit: int, offset: int) -> tuple[list, int]:
    """One page of `query`'s rows (its first column alone when it has one), with the total.

    The total is counted only when the page cannot tell it: a first page shorter than `limit`
    holds everything there is (the common case of a list filtered to one instance or matter),
    so it costs one query instead of two.
    """
    paged = query.order_by(order).limit(limit).offset(offset)
    found = s.scalars(paged) if len(query.column_descriptions) == 1 else s.execute(paged)
    rows = list(found)
    if offset == 0 and len(rows) < limit:
        return rows, len(rows)
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return rows, s.scalar(counted) or 0
