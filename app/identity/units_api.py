"""REST routes of the unit tree (`app.org`; here because they check identity's permissions).

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

from typing import Annotated

from fastapi import Depends, Query, status
from fastapi.responses import JSONResponse

from app.deps import DbDep, SessionDep, run
from app.identity import use_cases
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Offset, Search, Text
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.org import queries, service
from app.org.models import Unit
from app.org.schemas import UnitDetail, UnitIn, UnitLevel, UnitOut

router = Router(prefix="/api/v1/units", tags=["units"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("units.read"))]
Writer = Annotated[Principal, Depends(permission("units.write"))]


def existing_unit(code: Text, s: SessionDep, _principal: Reader) -> Unit:
    """The unit of the path; 404 when there is none."""
    return service.get(s, code)


ExistingUnit = Annotated[Unit, Depends(existing_unit)]


@router.get("", response_model=Page[UnitOut])
def list_units(
    s: SessionDep,
    _principal: Reader,
    parent: Text | None = None,
    level: UnitLevel | None = None,
    kind: Text | None = None,
    q: Search | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Page[UnitOut]:
    """Units ordered by path (parents before children), filtered."""
    query = queries.filtered(parent=parent, level=level, kind=kind, q=q)
    return page(s, query, Unit.path, UnitOut, limit, offset)


@router.get("/{code}", response_model=UnitDetail)
def get_unit(unit: ExistingUnit, s: SessionDep) -> UnitDetail:
    """One unit with its direct children."""
    return queries.detail(s, unit)


@router.post(
    "",
    response_model=UnitOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": UnitOut, "description": "an existing unit was updated"}},
)
def put_unit(body: UnitIn, db: DbDep, principal: Writer) -> JSONResponse:
    """Create a unit, or update the one with this code (201 created, 200 updated)."""
    out, created = run(db, use_cases.put_unit, actor=principal, body=body)
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse(out.model_dump(mode="json"), status_code=code)
