"""One page of a query: the items as a schema, with the total."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kit.shared import Page


def page(s: Session, query: Any, order: Any, schema: Any, limit: int, offset: int) -> Any:
    """One page of `query` as `schema` items, with the total."""
    total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = s.scalars(query.order_by(order).limit(limit).offset(offset))
    return Page(
        items=[schema.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
