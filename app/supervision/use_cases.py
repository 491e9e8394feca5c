"""The matter office's acts, one function each: `fn(session, *, actor, …)` run by a route in one
transaction (`app.engine.run` / `run_step`). Each loads its matter inside that transaction (404
unseen, 403 seen but not controlled), changes it through the domain's rules, writes the audit
record and answers with the schema the route returns."""

import uuid

from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity import audit
from app.identity.policy import Forbidden, require_control, scope_of
from app.identity.principal import Principal
from app.supervision import extensions, holidays, matters, queries, recorder
from app.supervision.details import detail
from app.supervision.models import Matter
from app.supervision.schemas import (
    ExtensionDecision,
    ExtensionIn,
    ExtensionOut,
    LookBackIn,
    MatterDetail,
    MatterIn,
)


def controlled_matter(s: Session, actor: Principal, matter_id: uuid.UUID, action: str) -> Matter:
    """A matter the caller controls (policy.controls): 404 unseen, 403 seen but only involved."""
    matter = queries.readable_matter(s, actor, matter_id)
    require_control(
        s, actor, action, object_type="matter", object_id=matter.id, owner_unit=matter.owner_unit
    )
    return matter


def register_matter(
    s: Session, *, engine: Engine, actor: Principal, body: MatterIn
) -> tuple[Outcome, MatterDetail | None]:
    """立项: register a matter, compute its deadlines (seed 三(一)) and start its process."""
    scope = scope_of(s, actor)
    for field, code in [("lead_unit", body.lead_unit), *(("co_units", c) for c in body.co_units)]:
        if not scope.contains(s, code):
            raise Forbidden(f"unit '{code}' is outside your scope", errors=[{"field": field}])
    if body.parent_id is not None:
        # Decomposing (分解, domain.md §8) is the involved level's act on its own part: the
        # office of a unit the parent is assigned to breaks it down for the units below it.
        # It creates a matter owned by the caller and changes nothing of the parent's.
        queries.readable_matter(s, actor, body.parent_id)
    matter, outcome = matters.register(engine, s, body, actor=actor.sub, owner_unit=actor.unit)
    audit.record_change(
        s,
        actor,
        "matter.register",
        matter,
        object_type="matter",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else detail(s, matter, started=outcome)


def request_extension(
    s: Session, *, actor: Principal, matter_id: uuid.UUID, body: ExtensionIn
) -> ExtensionOut:
    """延期申请: the caller's unit asks for more time, with reasons and progress."""
    matter = queries.readable_matter(s, actor, matter_id)
    row = extensions.request(s, matter, body, unit=actor.unit, actor=actor.sub)
    audit.record_change(
        s,
        actor,
        "matter.extension_request",
        matter,
        object_type="matter",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return ExtensionOut.model_validate(row)


def decide_extension(
    s: Session,
    *,
    engine: Engine,
    actor: Principal,
    matter_id: uuid.UUID,
    extension_id: uuid.UUID,
    body: ExtensionDecision,
) -> MatterDetail:
    """The office approves (the deadline and its timers move) or rejects a request."""
    matter = controlled_matter(s, actor, matter_id, "matters.extension_decision")
    row = extensions.decide(engine, s, matter, extension_id, body, actor=actor.sub)
    recorder.refresh_light(s, matter)
    audit.record_change(
        s,
        actor,
        "matter.extension_decision",
        matter,
        object_type="matter",
        data={"extension": str(extension_id), **body.model_dump(mode="json")},
        unit_code=row.unit_code,
    )
    return detail(s, matter)


def schedule_look_back(
    s: Session, *, engine: Engine, actor: Principal, matter_id: uuid.UUID, body: LookBackIn
) -> tuple[Outcome, MatterDetail | None]:
    """Schedule a look back (回头看) at a closed matter; a failed check reopens it."""
    matter = controlled_matter(s, actor, matter_id, "matters.look_back")
    outcome = matters.schedule_look_back(
        engine,
        s,
        matter,
        check_days=body.check_days,
        rectify_days=body.rectify_days,
        actor=actor.sub,
        owner_unit=actor.unit,
    )
    audit.record_change(
        s,
        actor,
        "matter.look_back",
        matter,
        object_type="matter",
        data=body.model_dump(),
        unit_code=actor.unit,
        instance_id=outcome.instance_id,
    )
    return outcome, None if outcome.failure else detail(s, matter)


def load_holiday_schedule(
    s: Session, *, engine: Engine, actor: Principal, body: holidays.ScheduleIn
) -> holidays.ScheduleIn:
    """Load a year's official holiday schedule (admins), e.g. next year's once published."""
    holidays.store(engine, s, body, actor=actor.sub)
    audit.record(
        s,
        actor,
        "calendar.load",
        object_type="holiday_schedule",
        object_id=str(body.year),
        data=body.model_dump(mode="json"),
    )
    return body
