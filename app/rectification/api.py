"""REST routes of rectification with a deadline (限期整改).

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, status

from app.engine import EngineDep, SessionDep, run_step
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Limit, Offset, Text
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.rectification import queries, use_cases
from app.rectification.models import Rectification
from app.rectification.schemas import RectificationDetail, RectificationIn, RectificationOut
from app.supervision.matters import today

router = Router(prefix="/api/v1/rectifications", tags=["rectifications"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("rectifications.read"))]
Opener = Annotated[Principal, Depends(permission("rectifications.open"))]


def readable_rectification(
    rectification_id: uuid.UUID, s: SessionDep, principal: Reader
) -> Rectification:
    """The rectification of the path, if the caller may read it; 404 otherwise."""
    return queries.readable_rectification(s, principal, rectification_id)


ReadableRectification = Annotated[Rectification, Depends(readable_rectification)]


@router.post("", response_model=RectificationDetail, status_code=status.HTTP_201_CREATED)
def open_rectification(
    body: RectificationIn, engine: EngineDep, principal: Opener
) -> RectificationDetail:
    """下达限期整改: order units to rectify problems by a deadline (seed 三(三), 条例 Art. 18)."""
    return run_step(engine, use_cases.open_rectification, engine=engine, actor=principal, body=body)


@router.get("", response_model=Page[RectificationOut])
def list_rectifications(
    s: SessionDep,
    principal: Reader,
    status_: Annotated[Literal["rectifying", "closed"] | None, Query(alias="status")] = None,
    unit: Text | None = None,
    light: Literal["green", "yellow", "red"] | None = None,
    overdue: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[RectificationOut]:
    """Rectifications in your scope (owned by, or with a part for, your units), newest first."""
    query = queries.filtered(
        s, principal, status=status_, unit=unit, light=light, overdue=overdue, today=today()
    )
    return page(s, query, Rectification.created_at.desc(), RectificationOut, limit, offset, cursor)


@router.get("/{rectification_id}", response_model=RectificationDetail)
def get_rectification(rectification: ReadableRectification, s: SessionDep) -> RectificationDetail:
    """One rectification: its parts with lights and urgings, ready tasks and history."""
    return queries.detail(s, rectification)


routers: list[Router] = [router]
