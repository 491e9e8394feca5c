"""Acts on supervision activities (督查活动), one function each: `fn(session, *, actor, …)` run by
a route in one transaction (`app.engine.run` / `run_step`). Each loads its activity inside that
transaction (404 unseen, 403 seen but not controlled), changes it through the domain's rules,
writes the audit record and answers with the schema the route returns."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import details, queries, records, service
from app.activities.models import Activity
from app.activities.schemas import (
    ActivityDetail,
    AttachmentOut,
    CoverageIn,
    CoverageOut,
    LookBackScheduleIn,
    ObjectionIn,
    ObjectionOut,
    OfficeActivityIn,
    SurveyOut,
)
from app.engine import Engine, Outcome
from app.identity import audit
from app.identity.policy import Forbidden, require_control, scope_of
from app.identity.principal import Principal
from app.kit.errors import InvalidData
from app.supervision import queries as matter_queries
from app.supervision.models import Matter


def controlled_activity(
    s: Session, actor: Principal, activity_id: uuid.UUID, action: str
) -> Activity:
    """An activity the caller controls (policy.controls: its owner unit, the offices above it,
    admins); 404 unseen, 403 when the caller is only involved (a target, an invitee)."""
    activity = queries.readable_activity(s, actor, activity_id)
    require_control(
        s,
        actor,
        action,
        object_type="activity",
        object_id=activity.id,
        owner_unit=activity.owner_unit,
    )
    return activity


def create_office_activity(
    s: Session, *, engine: Engine, actor: Principal, body: OfficeActivityIn
) -> tuple[Outcome, ActivityDetail | None]:
    """A routine follow-up or lead verification the office runs itself (条例 Art. 14)."""
    scope = scope_of(s, actor)
    outside = [
        {"field": f"target_units/{i}", "message": f"unit '{code}' is outside your scope"}
        for i, code in enumerate(body.target_units)
        if not scope.contains(s, code)
    ]
    if outside:
        raise Forbidden("a target unit is outside your scope", errors=outside)
    _check_matters(s, actor, body.matter_ids)
    spec = service.ActivitySpec(
        title=body.title,
        kind=body.kind,
        method=body.method,
        target_units=body.target_units,
        period_start=body.period_start,
        period_end=body.period_end,
        content=body.content,
        category=body.category,
        matter_ids=[str(m) for m in body.matter_ids],
    )
    activity, outcome = service.register(
        engine, s, spec, origin="office", owner_unit=actor.unit, actor=actor.sub
    )
    audit.record_change(
        s,
        actor,
        "activity.create",
        activity,
        object_type="activity",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else details.detail(s, activity)


def _check_matters(s: Session, actor: Principal, matter_ids: list[uuid.UUID]) -> None:
    """422 naming each linked matter the caller cannot read (unseen = absent)."""
    if not matter_ids:
        return
    seen = set(
        s.scalars(
            matter_queries.readable(s, actor)
            .where(Matter.id.in_(matter_ids))
            .with_only_columns(Matter.id)
        )
    )
    errors = [
        {"field": f"matter_ids/{i}", "message": "no such matter in your scope"}
        for i, m in enumerate(matter_ids)
        if m not in seen
    ]
    if errors:
        raise InvalidData("the activity names unknown matters", errors=errors)


def upload_attachment(
    s: Session,
    *,
    actor: Principal,
    activity_id: uuid.UUID,
    filename: str,
    data: bytes,
    max_bytes: int,
) -> AttachmentOut:
    """Attach a file (photos, reports, evidence) to an activity the caller may read."""
    activity = queries.readable_activity(s, actor, activity_id)
    row = records.store_attachment(
        s,
        activity,
        filename=filename,
        data=data,
        max_bytes=max_bytes,
        actor=actor.sub,
        unit=actor.unit,
    )
    audit.record_change(
        s,
        actor,
        "activity.attachment",
        activity,
        object_type="activity",
        data={"attachment": str(row.id), "filename": filename, "sha256": row.sha256},
        unit_code=actor.unit,
    )
    return AttachmentOut.model_validate(row)


def import_survey_results(
    s: Session,
    *,
    actor: Principal,
    activity_id: uuid.UUID,
    filename: str,
    raw: bytes,
    max_rows: int,
) -> SurveyOut:
    """民意调查: import answers into the caller's activity; the survey over every import."""
    activity = controlled_activity(s, actor, activity_id, "activities.survey_import")
    row = records.import_survey(
        s, activity, filename=filename, raw=raw, max_rows=max_rows, actor=actor.sub
    )
    audit.record_change(
        s,
        actor,
        "activity.survey_import",
        activity,
        object_type="activity",
        data={"import": str(row.id), "filename": filename, "rows": row.row_count},
        unit_code=actor.unit,
    )
    survey = details.survey(s, activity)
    assert survey is not None  # the import just made holds one
    return survey


def add_coverage(
    s: Session, *, actor: Principal, activity_id: uuid.UUID, body: CoverageIn
) -> CoverageOut:
    """舆论监督: record one media report on the caller's media-supervision activity."""
    activity = controlled_activity(s, actor, activity_id, "activities.coverage")
    if activity.method != "media":
        raise records.NotOpen("coverage belongs to a media-supervision activity")
    row = records.add_coverage(s, activity, body, actor=actor.sub)
    audit.record_change(
        s,
        actor,
        "activity.coverage",
        activity,
        object_type="activity",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return CoverageOut.model_validate(row)


def schedule_look_backs(
    s: Session,
    *,
    engine: Engine,
    actor: Principal,
    activity_id: uuid.UUID,
    body: LookBackScheduleIn,
) -> tuple[Outcome, ActivityDetail | None]:
    """回头看: start the look back of every linked closed matter (each in its own process)."""
    activity = controlled_activity(s, actor, activity_id, "activities.look_back")
    # A look back reopens a matter when it fails: each linked matter must be the caller's too.
    for linked in s.scalars(
        select(Matter).where(Matter.id.in_([uuid.UUID(m) for m in activity.matter_ids]))
    ):
        require_control(
            s,
            actor,
            "matters.look_back",
            object_type="matter",
            object_id=linked.id,
            owner_unit=linked.owner_unit,
        )
    outcomes = records.schedule_look_backs(
        engine, s, activity, body, actor=actor.sub, owner_unit=actor.unit
    )
    audit.record_change(
        s,
        actor,
        "activity.look_back",
        activity,
        object_type="activity",
        data=body.model_dump(),
        unit_code=actor.unit,
    )
    failed = next((o for o in outcomes if o.failure), None)
    if failed is not None:
        return failed, None
    return Outcome(activity.instance_id or uuid.uuid4()), details.detail(s, activity)


def file_objection(
    s: Session, *, engine: Engine, actor: Principal, activity_id: uuid.UUID, body: ObjectionIn
) -> tuple[Outcome, ObjectionOut | None]:
    """复核申请 (条例 Art. 17): a target unit objects to the conclusion within 30 days."""
    activity = queries.readable_activity(s, actor, activity_id)
    objection, outcome = records.file_objection(
        engine, s, activity, body, unit=actor.unit, actor=actor.sub
    )
    audit.record_change(
        s,
        actor,
        "activity.objection",
        activity,
        object_type="activity",
        data={"objection": str(objection.id), **body.model_dump()},
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else ObjectionOut.model_validate(objection)
