"""REST routes of the unit tree (`app.org`; here because they check identity's permissions)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Offset, Search, Text
from app.kit.shared import ERRORS, Page
from app.org import service
from app.org.models import Unit
from app.org.schemas import UnitDetail, UnitIn, UnitLevel, UnitOut

router = APIRouter(prefix="/api/v1/units", tags=["units"], responses=ERRORS)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


@router.get("", response_model=Page[UnitOut])
def list_units(
    db: DbDep,
    _principal: Annotated[Principal, Depends(permission("units.read"))],
    parent: Text | None = None,
    level: UnitLevel | None = None,
    kind: Text | None = None,
    q: Search | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Page[UnitOut]:
    """Units ordered by path (parents before children), filtered."""
    query = select(Unit)
    if parent:
        query = query.where(Unit.parent_code == parent)
    if level:
        query = query.where(Unit.level == level)
    if kind:
        query = query.where(Unit.kind == kind)
    if q:
        query = query.where(Unit.name.contains(q, autoescape=True) | (Unit.code == q))
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = s.scalars(query.order_by(Unit.path).limit(limit).offset(offset))
        return Page(
            items=[UnitOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )


@router.get("/{code}", response_model=UnitDetail)
def get_unit(
    code: Text, db: DbDep, _principal: Annotated[Principal, Depends(permission("units.read"))]
) -> UnitDetail:
    """One unit with its direct children."""
    with db.session() as s:
        unit = service.get(s, code)
        children = [UnitOut.model_validate(c) for c in service.children(s, code)]
        return UnitDetail(**UnitOut.model_validate(unit).model_dump(), children=children)


@router.post(
    "",
    response_model=UnitOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": UnitOut, "description": "an existing unit was updated"}},
)
def put_unit(
    body: UnitIn,
    db: DbDep,
    principal: Annotated[Principal, Depends(permission("units.write"))],
) -> JSONResponse:
    """Create a unit, or update the one with this code (201 created, 200 updated)."""

    def work(s: Session) -> tuple[UnitOut, bool]:
        unit, created = service.upsert(s, body)
        audit.record(
            s,
            principal,
            "unit.create" if created else "unit.update",
            object_type="unit",
            object_id=unit.code,
            unit_code=unit.code,
            data=body.model_dump(),
        )
        return UnitOut.model_validate(unit), created

    out, created = db.transaction(work)
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse(out.model_dump(mode="json"), status_code=code)
