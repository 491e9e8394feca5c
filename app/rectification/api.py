"""REST routes of rectification with a deadline (限期整改)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from app.engine import EngineDep, Outcome, stepped
from app.identity import audit
from app.identity.policy import permission, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.rectification import queries, service
from app.rectification.models import Rectification
from app.rectification.schemas import RectificationDetail, RectificationIn, RectificationOut
from app.supervision.matters import today

router = APIRouter(prefix="/api/v1/rectifications", tags=["rectifications"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("rectifications.read"))]


@router.post("", response_model=RectificationDetail, status_code=status.HTTP_201_CREATED)
def open_rectification(
    body: RectificationIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("rectifications.open"))],
) -> RectificationDetail:
    """下达限期整改: order units to rectify problems by a deadline (seed 三(三), 条例 Art. 18)."""

    def work(s: Session) -> tuple[Outcome, RectificationDetail | None]:
        rectification, outcome = service.open_rectification(
            engine,
            s,
            body,
            scope=scope_of(s, principal),
            actor=principal.sub,
            owner_unit=principal.unit,
        )
        audit.record(
            s,
            principal,
            "rectification.open",
            object_type="rectification",
            object_id=str(rectification.id),
            instance_id=str(outcome.instance_id),
            unit_code=principal.unit,
            data=body.model_dump(mode="json"),
        )
        return outcome, None if outcome.failure else queries.detail(s, rectification)

    return stepped(engine, work)


@router.get("", response_model=Page[RectificationOut])
def list_rectifications(
    engine: EngineDep,
    principal: Reader,
    status_: Annotated[Literal["rectifying", "closed"] | None, Query(alias="status")] = None,
    unit: Text | None = None,
    light: Literal["green", "yellow", "red"] | None = None,
    overdue: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RectificationOut]:
    """Rectifications in your scope (owned by, or with a part for, your units), newest first."""
    with engine.db.session() as s:
        query = queries.filtered(
            s,
            principal,
            status=status_,
            unit=unit,
            light=light,
            overdue=overdue,
            today=today(),
        )
        return page(s, query, Rectification.created_at.desc(), RectificationOut, limit, offset)


@router.get("/{rectification_id}", response_model=RectificationDetail)
def get_rectification(
    rectification_id: uuid.UUID, engine: EngineDep, principal: Reader
) -> RectificationDetail:
    """One rectification: its parts with lights and urgings, ready tasks and history."""
    with engine.db.session() as s:
        found = queries.readable_rectification(s, principal, rectification_id)
        return queries.detail(s, found)


routers: list[APIRouter] = [router]
