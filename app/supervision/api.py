"""REST routes of matters: register, list with filters, one matter with everything about it.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated

from fastapi import Depends, status

from app.engine import EngineDep, SessionDep, run, run_step
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Limit, Offset, Year
from app.kit.errors import InvalidData
from app.kit.paging import SEARCH_COUNT_CAP, page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.supervision import holidays, queries, use_cases
from app.supervision.details import detail
from app.supervision.models import Matter
from app.supervision.schemas import (
    ExtensionDecision,
    ExtensionIn,
    ExtensionOut,
    LookBackIn,
    MatterDetail,
    MatterFilters,
    MatterIn,
    MatterOut,
)

router = Router(prefix="/api/v1/matters", tags=["matters"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("matters.read"))]
Registrar = Annotated[Principal, Depends(permission("matters.register"))]
Extender = Annotated[Principal, Depends(permission("matters.extend"))]
Decider = Annotated[Principal, Depends(permission("matters.decide"))]


def readable_matter(matter_id: uuid.UUID, s: SessionDep, principal: Reader) -> Matter:
    """The matter of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    return queries.readable_matter(s, principal, matter_id)


ReadableMatter = Annotated[Matter, Depends(readable_matter)]


@router.post("", response_model=MatterDetail, status_code=status.HTTP_201_CREATED)
def register_matter(body: MatterIn, engine: EngineDep, principal: Registrar) -> MatterDetail:
    """立项: register a matter, compute its deadlines (seed 三(一)) and start its process."""
    return run_step(engine, use_cases.register_matter, engine=engine, actor=principal, body=body)


@router.get("", response_model=Page[MatterOut])
def list_matters(
    s: SessionDep,
    principal: Reader,
    filters: Annotated[MatterFilters, Depends()],
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[MatterOut]:
    """Matters in your scope, newest first."""
    query = queries.filtered(s, principal, filters)
    cap = SEARCH_COUNT_CAP if filters.q else None  # matched on each row's own text
    return page(s, query, Matter.created_at.desc(), MatterOut, limit, offset, cursor, cap)


@router.get("/{matter_id}", response_model=MatterDetail)
def get_matter(matter: ReadableMatter, s: SessionDep) -> MatterDetail:
    """One matter: deadlines, assignments, reports, urgings, extensions, light, tasks, timeline."""
    return detail(s, matter)


@router.post(
    "/{matter_id}/extensions", response_model=ExtensionOut, status_code=status.HTTP_201_CREATED
)
def request_extension(
    matter_id: uuid.UUID, body: ExtensionIn, engine: EngineDep, principal: Extender
) -> ExtensionOut:
    """延期申请: your unit asks for more time, with reasons and progress, before the deadline."""
    return run(engine, use_cases.request_extension, actor=principal, matter_id=matter_id, body=body)


@router.post("/{matter_id}/extensions/{extension_id}/decision", response_model=MatterDetail)
def decide_extension(
    matter_id: uuid.UUID,
    extension_id: uuid.UUID,
    body: ExtensionDecision,
    engine: EngineDep,
    principal: Decider,
) -> MatterDetail:
    """The office approves (the deadline and its timers move) or rejects a request."""
    return run(
        engine,
        use_cases.decide_extension,
        engine=engine,
        actor=principal,
        matter_id=matter_id,
        extension_id=extension_id,
        body=body,
    )


@router.post(
    "/{matter_id}/look-back", response_model=MatterDetail, status_code=status.HTTP_201_CREATED
)
def schedule_look_back(
    matter_id: uuid.UUID, body: LookBackIn, engine: EngineDep, principal: Decider
) -> MatterDetail:
    """Schedule a look back (回头看) at a closed matter; a failed check reopens it."""
    return run_step(
        engine,
        use_cases.schedule_look_back,
        engine=engine,
        actor=principal,
        matter_id=matter_id,
        body=body,
    )


calendar_router = Router(prefix="/api/v1/calendar", tags=["calendar"], responses=ERRORS)


@calendar_router.put("/years/{year}", response_model=holidays.ScheduleIn)
def put_holiday_schedule(
    year: Year,
    body: holidays.ScheduleIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("units.write"))],
) -> holidays.ScheduleIn:
    """Load a year's official holiday schedule (admins), e.g. next year's once published."""
    if body.year != year:
        raise InvalidData(
            "the path and the body name different years",
            errors=[{"field": "year", "message": str(body.year)}],
        )
    return run(engine, use_cases.load_holiday_schedule, engine=engine, actor=principal, body=body)
