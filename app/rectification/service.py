"""Open a rectification with a deadline (限期整改): its parts per unit, its process, its light."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.engine import Engine, Outcome, start_instance
from app.identity.policy import Scope
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.org.models import Unit
from app.rectification.events import from_rectification
from app.rectification.models import (
    Rectification,
    RectificationEvent,
    RectificationPart,
)
from app.rectification.schemas import RectificationIn
from app.results.models import Bulletin
from app.sequences import next_code
from app.supervision import lights
from app.supervision import matters as matter_service
from app.supervision import queries as matter_queries
from app.supervision.deadlines import add_days
from app.supervision.models import Matter
from app.supervision.timeline import note as matter_note

PROCESS_KEY = "rectification"
UNIT_PROCESS_KEY = "rectification_unit"
OPEN = "rectifying"
CLOSED = "closed"


def open_rectification(
    engine: Engine,
    session: Session,
    body: RectificationIn,
    *,
    scope: Scope,
    actor: str,
    owner_unit: str,
) -> tuple[Rectification, Outcome]:
    """seed 三(三): record the rectification and a part per unit, then start its process."""
    due = _due(body)
    _check_units(session, body.units, scope)
    matter = _check_source(session, body, scope)
    rectification = Rectification(
        id=uuid.uuid4(),
        code=_next_code(session, matter_service.today()),
        title=body.title,
        problems=body.problem_list(),
        source_matter_id=body.source.matter_id,
        source_activity_id=body.source.activity_id,
        source_bulletin_id=body.source.bulletin_id,
        owner_unit=owner_unit,
        due=due,
        verify_on_site=body.verify_on_site,
        head_sign_off=body.head_sign_off,
        status=OPEN,
        light=lights.Light.GREEN.value,
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(rectification)
    session.flush()
    parts = [_part(session, rectification, unit) for unit in body.units]
    session.flush()
    outcome = start_instance(
        engine,
        session,
        process_key=PROCESS_KEY,
        version=None,
        business_key=str(rectification.id),
        variables=_variables(rectification, parts),
        actor=actor,
        unit_code=owner_unit,
    )
    rectification.instance_id = outcome.instance_id
    note(
        session,
        rectification,
        "opened",
        f"下达限期整改：{rectification.title}，整改单位 {'、'.join(body.units)}，"
        f"整改时限 {due}" + ("，整改后实地核查" if body.verify_on_site else ""),
        actor=actor,
        data={"problems": rectification.problems},
    )
    if matter is not None:
        matter_note(
            session,
            matter,
            "rectification_ordered",
            f"下达限期整改 {rectification.code}，整改时限 {due}",
            actor=actor,
            data={"rectification_id": str(rectification.id)},
        )
    refresh_light(session, rectification)
    return rectification, outcome


def _due(body: RectificationIn) -> date:
    today = matter_service.today()
    if (body.due is None) == (body.days is None):
        raise InvalidData(
            "give exactly one of `due` and `days`",
            errors=[{"field": "due", "message": "give a due date or a number of days, not both"}],
        )
    if body.days is not None:
        # Counted like the statutory periods: the start day is not counted, holidays roll over.
        return add_days(today, body.days)
    assert body.due is not None
    if body.due <= today:
        raise InvalidData(
            "the deadline must be after today",
            errors=[{"field": "due", "message": f"{body.due} is not after {today}"}],
        )
    return body.due


def _check_units(session: Session, codes: list[str], scope: Scope) -> None:
    errors = []
    for i, code in enumerate(codes):
        if session.get(Unit, code) is None:
            errors.append({"field": f"units/{i}", "message": f"unknown unit '{code}'"})
        elif not scope.contains(session, code):
            errors.append(
                {"field": f"units/{i}", "message": f"unit '{code}' is outside your scope"}
            )
    if errors:
        raise InvalidData("the rectification names units that cannot take it", errors=errors)


def _check_source(session: Session, body: RectificationIn, scope: Scope) -> Matter | None:
    """The source must exist and be visible to the caller; returns the source matter."""
    source = body.source
    matter = None
    if source.matter_id is not None:
        matter = session.scalars(
            matter_queries.readable(session, scope).where(Matter.id == source.matter_id)
        ).first()
        if matter is None:
            _unknown("source.matter_id", source.matter_id)
    if source.activity_id is not None:
        activity = session.get(Activity, source.activity_id)
        if activity is None or not scope.contains(session, activity.owner_unit):
            _unknown("source.activity_id", source.activity_id)
    if source.bulletin_id is not None:
        bulletin = session.get(Bulletin, source.bulletin_id)
        if bulletin is None or not scope.contains(session, bulletin.owner_unit):
            _unknown("source.bulletin_id", source.bulletin_id)
    return matter


def _unknown(field: str, value: uuid.UUID) -> None:
    raise InvalidData(
        f"{field} names nothing you can see", errors=[{"field": field, "message": str(value)}]
    )


def _next_code(session: Session, day: date) -> str:
    return next_code(session, Rectification.code, f"ZG-{day.year}-")


def _part(session: Session, rectification: Rectification, unit: str) -> RectificationPart:
    part = RectificationPart(
        id=uuid.uuid4(),
        rectification_id=rectification.id,
        unit_code=unit,
        status="plan",
        plan_returns=0,
        send_backs=0,
        light=lights.Light.GREEN.value,
        due=rectification.due,
    )
    session.add(part)
    return part


def part_variables(part: RectificationPart) -> dict[str, Any]:
    """A part as the unit's sub-process reads it: the unit, the deadline and its timers
    (domain.md §7: yellow in the warning window, red after the due day, 督办 later)."""
    timers = matter_service.timer_variables(part.due)
    return {
        "part_id": str(part.id),
        "unit": part.unit_code,
        "due": part.due.isoformat(),
        "warn_at": timers["final_warn_at"],
        "due_at": timers["final_due_at"],
        "escalate_at": timers["final_escalate_at"],
        "escalate_leader_at": timers["final_escalate_leader_at"],
    }


def _variables(rectification: Rectification, parts: list[RectificationPart]) -> dict[str, Any]:
    return {
        "rectification_id": str(rectification.id),
        "rectification_code": rectification.code,
        "title": rectification.title,
        "problems": rectification.problems,
        "head_sign_off": rectification.head_sign_off,
        "on_site_verification": rectification.verify_on_site,
        "parts": [part_variables(p) for p in parts],
    }


def note(
    session: Session,
    rectification: Rectification,
    event: str,
    summary: str,
    *,
    part: RectificationPart | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one history entry (Chinese summary for officials)."""
    session.add(
        RectificationEvent(
            rectification_id=rectification.id,
            part_id=part.id if part else None,
            at=clock.now(),
            event=event,
            unit_code=part.unit_code if part else None,
            actor=actor,
            summary=summary,
            data=data,
        )
    )
    from_rectification(session, rectification, event, summary, part=part, actor=actor, data=data)


def part_light(part: RectificationPart, today: date) -> lights.Light:
    """domain.md §7 by `lights.deadline_light`: an open part is red past due, yellow in the
    warning window; a reported or accepted part is green."""
    done = part.done_on if part.status != "accepted" else (part.done_on or today)
    return lights.deadline_light(part.due, done, today)


def refresh_light(session: Session, rectification: Rectification) -> None:
    """The rectification's light is the worst of its parts' (domain.md §7); changes are kept."""
    today = matter_service.today()
    parts = session.scalars(
        select(RectificationPart).where(RectificationPart.rectification_id == rectification.id)
    )
    part_lights = []
    for part in parts:
        light = part_light(part, today)
        if light.value != part.light:
            note(
                session,
                rectification,
                "part_light_changed",
                f"{part.unit_code} 状态灯：{part.light} → {light.value}",
                part=part,
                data={"from": part.light, "to": light.value},
            )
            part.light = light.value
        part_lights.append(light)
    light = lights.worst(part_lights) if rectification.status == OPEN else lights.Light.GREEN
    if light.value != rectification.light:
        note(
            session,
            rectification,
            "light_changed",
            f"状态灯：{rectification.light} → {light.value}",
            data={"from": rectification.light, "to": light.value},
        )
        rectification.light = light.value
