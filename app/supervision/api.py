"""REST routes of matters: register, list with filters, one matter with everything about it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import EngineDep, Outcome, TaskOut, TaskRecord, stepped
from app.identity import audit
from app.identity.policy import Forbidden, permission, require_control, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Year
from app.kit.errors import InvalidData
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.supervision import extensions, holidays, matters, queries, recorder
from app.supervision.lights import worst
from app.supervision.matter_lights import live_lights
from app.supervision.models import (
    Assignment,
    ExtensionRequest,
    Matter,
    MatterDeadline,
    ProgressReport,
    TimelineEntry,
    Urging,
)
from app.supervision.schemas import (
    AssignmentOut,
    DeadlineOut,
    ExtensionDecision,
    ExtensionIn,
    ExtensionOut,
    LookBackIn,
    MatterDetail,
    MatterFilters,
    MatterIn,
    MatterOut,
    ReportOut,
    SubMatterOut,
    TimelineOut,
    UrgingOut,
)

router = APIRouter(prefix="/api/v1/matters", tags=["matters"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("matters.read"))]


@router.post("", response_model=MatterDetail, status_code=status.HTTP_201_CREATED)
def register_matter(
    body: MatterIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.register"))],
) -> MatterDetail:
    """立项: register a matter, compute its deadlines (seed 三(一)) and start its process."""

    def work(s: Session) -> tuple[Outcome, MatterDetail | None]:
        scope = scope_of(s, principal)
        for field, code in [
            ("lead_unit", body.lead_unit),
            *(("co_units", c) for c in body.co_units),
        ]:
            if not scope.contains(s, code):
                raise Forbidden(f"unit '{code}' is outside your scope", errors=[{"field": field}])
        if body.parent_id is not None:
            # Decomposing (分解, domain.md §8) is the involved level's act on its own part: the
            # office of a unit the parent is assigned to breaks it down for the units below it.
            # It creates a matter owned by the caller and changes nothing of the parent's.
            queries.readable_matter(s, principal, body.parent_id)
        matter, outcome = matters.register(
            engine, s, body, actor=principal.sub, owner_unit=principal.unit
        )
        audit.record_change(
            s,
            principal,
            "matter.register",
            matter,
            object_type="matter",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        detail = None if outcome.failure else _detail(s, matter)
        return outcome, detail

    return stepped(engine, work)


@router.get("", response_model=Page[MatterOut])
def list_matters(
    engine: EngineDep,
    principal: Reader,
    filters: Annotated[MatterFilters, Depends()],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MatterOut]:
    """Matters in your scope, newest first."""
    with engine.db.session() as s:
        query = queries.filtered(s, principal, filters)
        return page(s, query, Matter.created_at.desc(), MatterOut, limit, offset)


@router.get("/{matter_id}", response_model=MatterDetail)
def get_matter(matter_id: uuid.UUID, engine: EngineDep, principal: Reader) -> MatterDetail:
    """One matter: deadlines, assignments, reports, urgings, extensions, light, tasks, timeline."""
    with engine.db.session() as s:
        return _detail(s, queries.readable_matter(s, principal, matter_id))


def _controlled_matter(
    s: Session, principal: Principal, matter_id: uuid.UUID, action: str
) -> Matter:
    """A matter the caller controls (policy.controls): 404 unseen, 403 seen but only involved."""
    matter = queries.readable_matter(s, principal, matter_id)
    require_control(
        s,
        principal,
        action,
        object_type="matter",
        object_id=matter.id,
        owner_unit=matter.owner_unit,
    )
    return matter


def _detail(s: Session, matter: Matter) -> MatterDetail:
    s.flush()  # what this transaction wrote (a timeline entry, an urging) is part of the answer

    def rows(model: Any, order: Any) -> list[Any]:
        return list(s.scalars(select(model).where(model.matter_id == matter.id).order_by(order)))

    tasks: list[TaskRecord] = []
    if matter.instance_id is not None:
        tasks = list(
            s.scalars(
                select(TaskRecord)
                .where(TaskRecord.instance_id == matter.instance_id, TaskRecord.state == "ready")
                .order_by(TaskRecord.created_at)
            )
        )
    children = list(
        s.scalars(select(Matter).where(Matter.parent_id == matter.id).order_by(Matter.created_at))
    )
    # domain.md §7 by the clock now, as the task list shows it (stored lights follow the sweep).
    light, deadline_lights = live_lights(s, matter)
    child_lights = {c.id: live_lights(s, c)[0] for c in children}
    open_lights = [child_lights[c.id] for c in children if c.status != "closed"]
    return MatterDetail(
        **MatterOut.model_validate(matter).model_dump(exclude={"light"}),
        light=light.value,
        content=matter.content,
        sub_matters=[
            SubMatterOut.model_validate(c).model_copy(update={"light": child_lights[c.id].value})
            for c in children
        ],
        rolled_up_light=worst([light, *open_lights]).value,
        deadlines=[
            DeadlineOut.model_validate(d).model_copy(update={"light": deadline_lights[d.id]})
            for d in rows(MatterDeadline, MatterDeadline.due)
        ],
        assignments=[
            AssignmentOut.model_validate(a) for a in rows(Assignment, Assignment.sign_due)
        ],
        reports=[
            ReportOut.model_validate(r) for r in rows(ProgressReport, ProgressReport.submitted_at)
        ],
        urgings=[UrgingOut.model_validate(u) for u in rows(Urging, Urging.at)],
        extensions=[
            ExtensionOut.model_validate(e)
            for e in rows(ExtensionRequest, ExtensionRequest.requested_at)
        ],
        ready_tasks=[TaskOut.model_validate(t) for t in tasks],
        timeline=[TimelineOut.model_validate(t) for t in rows(TimelineEntry, TimelineEntry.at)],
    )


@router.post(
    "/{matter_id}/extensions", response_model=ExtensionOut, status_code=status.HTTP_201_CREATED
)
def request_extension(
    matter_id: uuid.UUID,
    body: ExtensionIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.extend"))],
) -> ExtensionOut:
    """延期申请: your unit asks for more time, with reasons and progress, before the deadline."""

    def work(s: Session) -> ExtensionOut:
        matter = queries.readable_matter(s, principal, matter_id)
        row = extensions.request(s, matter, body, unit=principal.unit, actor=principal.sub)
        audit.record_change(
            s,
            principal,
            "matter.extension_request",
            matter,
            object_type="matter",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return ExtensionOut.model_validate(row)

    return engine.db.transaction(work)


@router.post("/{matter_id}/extensions/{extension_id}/decision", response_model=MatterDetail)
def decide_extension(
    matter_id: uuid.UUID,
    extension_id: uuid.UUID,
    body: ExtensionDecision,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.decide"))],
) -> MatterDetail:
    """The office approves (the deadline and its timers move) or rejects a request."""

    def work(s: Session) -> MatterDetail:
        matter = _controlled_matter(s, principal, matter_id, "matters.extension_decision")
        row = extensions.decide(engine, s, matter, extension_id, body, actor=principal.sub)
        recorder.refresh_light(s, matter)
        audit.record_change(
            s,
            principal,
            "matter.extension_decision",
            matter,
            object_type="matter",
            data={"extension": str(extension_id), **body.model_dump(mode="json")},
            unit_code=row.unit_code,
        )
        return _detail(s, matter)

    return engine.db.transaction(work)


@router.post(
    "/{matter_id}/look-back", response_model=MatterDetail, status_code=status.HTTP_201_CREATED
)
def schedule_look_back(
    matter_id: uuid.UUID,
    body: LookBackIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.decide"))],
) -> MatterDetail:
    """Schedule a look back (回头看) at a closed matter; a failed check reopens it."""

    def work(s: Session) -> tuple[Outcome, MatterDetail | None]:
        matter = _controlled_matter(s, principal, matter_id, "matters.look_back")
        outcome = matters.schedule_look_back(
            engine,
            s,
            matter,
            check_days=body.check_days,
            rectify_days=body.rectify_days,
            actor=principal.sub,
            owner_unit=principal.unit,
        )
        audit.record_change(
            s,
            principal,
            "matter.look_back",
            matter,
            object_type="matter",
            data=body.model_dump(),
            unit_code=principal.unit,
            instance_id=outcome.instance_id,
        )
        return outcome, None if outcome.failure else _detail(s, matter)

    return stepped(engine, work)


calendar_router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"], responses=ERRORS)


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

    def work(s: Session) -> holidays.ScheduleIn:
        holidays.store(engine, s, body, actor=principal.sub)
        audit.record(
            s,
            principal,
            "calendar.load",
            object_type="holiday_schedule",
            object_id=str(year),
            data=body.model_dump(mode="json"),
        )
        return body

    return engine.db.transaction(work)
