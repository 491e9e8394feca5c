"""Create supervision activities: the one entry point plans and proposals use."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.clock import clock
from app.engine.runtime import Engine


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
    """Record the activity (status `planned`) inside the caller's transaction."""
    activity = Activity(
        id=uuid.uuid4(),
        code=_next_code(session, spec.period_start),
        title=spec.title,
        content=spec.content,
        kind=spec.kind,
        method=spec.method,
        category=spec.category,
        target_units=list(spec.target_units),
        period_start=spec.period_start,
        period_end=spec.period_end,
        owner_unit=owner_unit,
        division_unit=spec.division_unit,
        origin=origin,
        plan_item_id=plan_item_id,
        proposal_id=proposal_id,
        matter_ids=list(spec.matter_ids),
        status="planned",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(activity)
    session.flush()
    return activity


def _next_code(session: Session, start: date) -> str:
    prefix = f"DC{start.year}-"
    count = session.scalar(select(func.count()).where(Activity.code.startswith(prefix))) or 0
    return f"{prefix}{count + 1:04d}"
