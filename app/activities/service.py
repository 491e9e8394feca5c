"""Create supervision activities and start their process: the one entry point plans, proposals
and the office use; and the findings that supervision reports quote."""

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import summaries
from app.activities.models import Activity, ActivityUnit
from app.engine import Engine, Outcome, start_instance
from app.kit.clock import clock
from app.kit.errors import InvalidData, ProcessError
from app.org import service as units
from app.org.models import Unit
from app.sequences import next_code

PROCESS_KEY = "supervision_activity"
OBJECTION_KEY = "activity_objection"
METHODS = ("on_site", "look_back", "invited_inspection", "third_party", "survey", "media")


@dataclass(frozen=True)
class ActivitySpec:
    """What an approved plan item or proposal says about the activity to run."""

    title: str
    kind: str
    method: str
    target_units: list[str]
    period_start: date
    period_end: date
    content: str = ""
    category: str | None = None
    division_unit: str | None = None
    matter_ids: list[str] = field(default_factory=list)


def create_activity(
    engine: Engine,
    session: Session,
    spec: ActivitySpec,
    *,
    origin: str,
    owner_unit: str,
    actor: str,
    plan_item_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
) -> Activity:
    """Record the activity (status `planned`) and start its `supervision_activity` process,
    inside the caller's transaction; a process that fails to start is a 422 (nothing kept)."""
    activity, outcome = register(
        engine,
        session,
        spec,
        origin=origin,
        owner_unit=owner_unit,
        actor=actor,
        plan_item_id=plan_item_id,
        proposal_id=proposal_id,
    )
    if outcome.failure is not None:
        raise ProcessError(
            f"the activity's process failed: {outcome.failure.message}",
            errors=[{"element_id": outcome.failure.element_id, "message": outcome.failure.message}],
        )
    return activity


def register(
    engine: Engine,
    session: Session,
    spec: ActivitySpec,
    *,
    origin: str,
    owner_unit: str,
    actor: str,
    plan_item_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
) -> tuple[Activity, Outcome]:
    """The activity, its units and its started process (business key: the activity's id)."""
    _check(session, spec)
    activity = Activity(
        id=uuid.uuid4(),
        code=_next_code(session, spec.period_start),
        title=spec.title,
        content=spec.content,
        kind=spec.kind,
        method=spec.method,
        category=spec.category,
        target_units=list(dict.fromkeys(spec.target_units)),
        period_start=spec.period_start,
        period_end=spec.period_end,
        owner_unit=owner_unit,
        division_unit=spec.division_unit,
        origin=origin,
        plan_item_id=plan_item_id,
        proposal_id=proposal_id,
        matter_ids=[str(m) for m in spec.matter_ids],
        status="planned",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(activity)
    session.flush()
    involve(session, activity, owner_unit, "owner")
    for code in activity.target_units:
        involve(session, activity, code, "target")
    outcome = start_instance(
        engine,
        session,
        process_key=PROCESS_KEY,
        version=None,
        business_key=str(activity.id),
        variables=process_variables(session, activity),
        actor=actor,
        unit_code=owner_unit,
    )
    activity.instance_id = outcome.instance_id
    return activity, outcome


def _check(session: Session, spec: ActivitySpec) -> None:
    errors: list[dict[str, Any]] = []
    if spec.method not in METHODS:
        errors.append({"field": "method", "message": f"one of {', '.join(METHODS)}"})
    if not spec.target_units:
        errors.append({"field": "target_units", "message": "at least one target unit"})
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(spec.target_units))))
    errors.extend(
        {"field": f"target_units/{i}", "message": f"unknown unit '{code}'"}
        for i, code in enumerate(spec.target_units)
        if code not in known
    )
    if spec.period_end < spec.period_start:
        errors.append({"field": "period_end", "message": "before period_start"})
    if errors:
        raise InvalidData("the activity cannot be created", errors=errors)


def involve(session: Session, activity: Activity, unit_code: str, role: str) -> None:
    """Record that a unit takes part (it then sees the activity)."""
    if session.get(ActivityUnit, (activity.id, unit_code, role)) is None:
        session.add(ActivityUnit(activity_id=activity.id, unit_code=unit_code, role=role))
        session.flush()


def government_unit(session: Session, unit_code: str) -> str:
    """The government a unit belongs to (its office's government decides objections)."""
    path = units.government_path(session, unit_code) or f"{unit_code}/"
    return path.rstrip("/").split("/")[-1]


def process_variables(session: Session, activity: Activity) -> dict[str, Any]:
    """What the activity's BPMN reads: the method for its gateway, targets, units, period."""
    return {
        "activity_id": str(activity.id),
        "activity_code": activity.code,
        "title": activity.title,
        "kind": activity.kind,
        "method": activity.method,
        "targets": list(activity.target_units),
        "owner_unit": activity.owner_unit,
        "government_unit": government_unit(session, activity.owner_unit),
        "period_start": activity.period_start.isoformat(),
        "period_end": activity.period_end.isoformat(),
        "matter_ids": list(activity.matter_ids),
        "invitees": [],
        "evaluator_unit": None,
    }


def mark_started(activity: Activity) -> None:
    """Work has started: a planned activity is in progress."""
    if activity.status == "planned":
        activity.status = "in_progress"


def _next_code(session: Session, start: date) -> str:
    return next_code(session, Activity.code, f"DC{start.year}-")


def findings(session: Session, activity_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """For supervision reports (三(四)): each activity's code, title, method and a Chinese
    summary of what it found, in the order of `activity_ids`."""
    return summaries.findings(session, activity_ids)
