"""The unit tree as its routes read it: the filtered list and one unit with its children."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.org import service
from app.org.models import Unit
from app.org.schemas import UnitDetail, UnitOut


def filtered(
    *, parent: str | None, level: str | None, kind: str | None, q: str | None
) -> Select[Unit]:
    """Units under a parent, of a level and kind, whose name contains `q` or whose code is `q`."""
    query = select(Unit)
    if parent:
        query = query.where(Unit.parent_code == parent)
    if level:
        query = query.where(Unit.level == level)
    if kind:
        query = query.where(Unit.kind == kind)
    if q:
        query = query.where(Unit.name.contains(q, autoescape=True) | (Unit.code == q))
    return query


def detail(session: Session, unit: Unit) -> UnitDetail:
    """One unit with its direct children."""
    children = [UnitOut.model_validate(c) for c in service.children(session, unit.code)]
    return UnitDetail(**UnitOut.model_validate(unit).model_dump(), children=children)
