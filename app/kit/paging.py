"""One page of a query: the items as a schema, with the total."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kit.shared import Page


def page(s: Session, query: Any, order: Any, schema: Any, limit: int, offset: int) -> Any:
    """One page of `query` as `schema` items, with the total.

    The total is counted only when the page cannot tell it: a first page shorter than `limit`
    holds everything there is (the common case of a list filtered to one instance or matter),
    so it costs one query instead of two.
    """
    rows = list(s.scalars(query.order_by(order).limit(limit).offset(offset)))
    if offset == 0 and len(rows) < limit:
        total = len(rows)
    else:
        total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return Page(
        items=[schema.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
