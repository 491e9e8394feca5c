"""REST routes of supervision activities (督查活动), their records and attachments."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.activities import details, files, queries, records, service
from app.activities.models import Activity, ActivityUnit, Attachment
from app.activities.schemas import (
    ActivityDetail,
    ActivityOut,
    AttachmentOut,
    CoverageIn,
    CoverageOut,
    Kind,
    LookBackScheduleIn,
    Method,
    ObjectionIn,
    ObjectionOut,
    OfficeActivityIn,
    SurveyOut,
)
from app.engine import EngineDep, Outcome, stepped
from app.identity import audit
from app.identity.policy import Forbidden, permission, require_control, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Search, Text, Year
from app.kit.errors import InvalidData, NotFound
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.org.models import Unit
from app.supervision import queries as matter_queries
from app.supervision.models import Matter

router = APIRouter(prefix="/api/v1/activities", tags=["activities"], responses=ERRORS)
attachment_router = APIRouter(prefix="/api/v1/attachments", tags=["activities"], responses=ERRORS)
routers: list[APIRouter] = [router, attachment_router]
Reader = Annotated[Principal, Depends(permission("activities.read"))]
Recorder = Annotated[Principal, Depends(permission("activities.record"))]


def _owned_activity(
    s: Session, principal: Principal, activity_id: uuid.UUID, action: str
) -> Activity:
    """An activity the caller controls (policy.controls: its owner unit, the offices above it,
    admins); 404 unseen, 403 when the caller is only involved (a target, an invitee)."""
    activity = queries.readable_activity(s, principal, activity_id)
    require_control(
        s,
        principal,
        action,
        object_type="activity",
        object_id=activity.id,
        owner_unit=activity.owner_unit,
    )
    return activity


@router.post("", response_model=ActivityDetail, status_code=status.HTTP_201_CREATED)
def create_office_activity(
    body: OfficeActivityIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("plans.draft"))],
) -> ActivityDetail:
    """A routine follow-up or lead verification the office runs itself (条例 Art. 14)."""

    def work(s: Session) -> tuple[Outcome, ActivityDetail | None]:
        scope = scope_of(s, principal)
        outside = [
            {"field": f"target_units/{i}", "message": f"unit '{code}' is outside your scope"}
            for i, code in enumerate(body.target_units)
            if not scope.contains(s, code)
        ]
        if outside:
            raise Forbidden("a target unit is outside your scope", errors=outside)
        _check_matters(s, principal, body.matter_ids)
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
            engine, s, spec, origin="office", owner_unit=principal.unit, actor=principal.sub
        )
        audit.record_change(
            s,
            principal,
            "activity.create",
            activity,
            object_type="activity",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else details.detail(s, activity)

    return stepped(engine, work)


def _check_matters(s: Session, principal: Principal, matter_ids: list[uuid.UUID]) -> None:
    if not matter_ids:
        return
    seen = set(
        s.scalars(
            matter_queries.readable(s, principal)
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


@router.get("", response_model=Page[ActivityOut])
def list_activities(
    engine: EngineDep,
    principal: Reader,
    method: Method | None = None,
    kind: Kind | None = None,
    status_: Annotated[
        Literal["planned", "in_progress", "concluded", "cancelled"] | None, Query(alias="status")
    ] = None,
    unit: Annotated[Text | None, Query(description="a target unit, or a unit below it")] = None,
    year: Year | None = None,
    q: Search | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ActivityOut]:
    """Activities in your scope (run by, aimed at or involving your units), newest first."""
    with engine.db.session() as s:
        query = queries.readable(s, principal)
        for column, value in (
            (Activity.method, method),
            (Activity.kind, kind),
            (Activity.status, status_),
        ):
            if value is not None:
                query = query.where(column == value)
        if unit:
            below = select(Unit.code).where(Unit.path.contains(f"{unit}/", autoescape=True))
            targets = select(ActivityUnit.activity_id).where(
                ActivityUnit.role == "target", ActivityUnit.unit_code.in_(below)
            )
            query = query.where(Activity.id.in_(targets))
        if year:
            query = query.where(
                Activity.period_start <= date(year, 12, 31),
                Activity.period_end >= date(year, 1, 1),
            )
        if q:
            query = query.where(
                or_(
                    Activity.title.contains(q, autoescape=True),
                    Activity.content.contains(q, autoescape=True),
                )
            )
        return page(s, query, Activity.created_at.desc(), ActivityOut, limit, offset)


@router.get("/{activity_id}", response_model=ActivityDetail)
def get_activity(activity_id: uuid.UUID, engine: EngineDep, principal: Reader) -> ActivityDetail:
    """One activity: its records per method, conclusion, objections, attachments, open tasks."""
    with engine.db.session() as s:
        return details.detail(s, queries.readable_activity(s, principal, activity_id))


@router.post(
    "/{activity_id}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED
)
def upload_attachment(
    activity_id: uuid.UUID,
    request: Request,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("attachments.upload"))],
    file: Annotated[UploadFile, File(description="jpeg, png, pdf, docx, xlsx, txt or csv")],
) -> AttachmentOut:
    """Attach a file (photos, reports, evidence): size and type (by content) are checked."""
    limit = request.app.state.settings.attachment_max_bytes
    data = file.file.read(limit + 1)
    filename = _filename(file.filename)

    def work(s: Session) -> AttachmentOut:
        activity = queries.readable_activity(s, principal, activity_id)
        row = records.store_attachment(
            s,
            activity,
            filename=filename,
            data=data,
            max_bytes=limit,
            actor=principal.sub,
            unit=principal.unit,
        )
        audit.record_change(
            s,
            principal,
            "activity.attachment",
            activity,
            object_type="activity",
            data={"attachment": str(row.id), "filename": filename, "sha256": row.sha256},
            unit_code=principal.unit,
        )
        return AttachmentOut.model_validate(row)

    return engine.db.transaction(work)


def _filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        raise InvalidData("the file has no name", errors=[{"field": "file", "message": "no name"}])
    return base[-255:]


@router.get("/{activity_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(
    activity_id: uuid.UUID, engine: EngineDep, principal: Reader
) -> list[AttachmentOut]:
    """The activity's attachments (metadata)."""
    with engine.db.session() as s:
        activity = queries.readable_activity(s, principal, activity_id)
        rows = s.scalars(
            select(Attachment)
            .where(Attachment.activity_id == activity.id)
            .order_by(Attachment.uploaded_at)
        )
        return [AttachmentOut.model_validate(r) for r in rows]


@attachment_router.get("/{attachment_id}", response_class=Response)
def download_attachment(attachment_id: uuid.UUID, engine: EngineDep, principal: Reader) -> Response:
    """The file itself, named for download (RFC 5987 for Chinese names)."""
    with engine.db.session() as s:
        row = s.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(f"attachment {attachment_id} not found")
        queries.readable_activity(s, principal, row.activity_id)
        headers = {
            "Content-Disposition": files.content_disposition(row.filename),
            "X-Content-SHA256": row.sha256,
            "X-Content-Type-Options": "nosniff",
        }
        return Response(row.data, media_type=row.content_type, headers=headers)


@router.post(
    "/{activity_id}/survey-results", response_model=SurveyOut, status_code=status.HTTP_201_CREATED
)
def import_survey_results(
    activity_id: uuid.UUID,
    request: Request,
    engine: EngineDep,
    principal: Recorder,
    file: Annotated[
        UploadFile, File(description="CSV: respondent, channel, one column a question")
    ],
) -> SurveyOut:
    """民意调查: import answers (UTF-8 with or without BOM, or GB18030), aggregated per question."""
    settings = request.app.state.settings
    raw = file.file.read(settings.attachment_max_bytes + 1)
    if len(raw) > settings.attachment_max_bytes:
        raise records.TooLarge(
            "the file is too large", errors=[{"field": "file", "message": "too large"}]
        )
    filename = _filename(file.filename)

    def work(s: Session) -> SurveyOut:
        activity = _owned_activity(s, principal, activity_id, "activities.survey_import")
        row = records.import_survey(
            s,
            activity,
            filename=filename,
            raw=raw,
            max_rows=settings.survey_max_rows,
            actor=principal.sub,
        )
        audit.record_change(
            s,
            principal,
            "activity.survey_import",
            activity,
            object_type="activity",
            data={"import": str(row.id), "filename": filename, "rows": row.row_count},
            unit_code=principal.unit,
        )
        survey = details.survey(s, activity)
        assert survey is not None
        return survey

    return engine.db.transaction(work)


@router.post(
    "/{activity_id}/coverage", response_model=CoverageOut, status_code=status.HTTP_201_CREATED
)
def add_coverage(
    activity_id: uuid.UUID, body: CoverageIn, engine: EngineDep, principal: Recorder
) -> CoverageOut:
    """舆论监督: record one media report."""

    def work(s: Session) -> CoverageOut:
        activity = _owned_activity(s, principal, activity_id, "activities.coverage")
        if activity.method != "media":
            raise records.NotOpen("coverage belongs to a media-supervision activity")
        row = records.add_coverage(s, activity, body, actor=principal.sub)
        audit.record_change(
            s,
            principal,
            "activity.coverage",
            activity,
            object_type="activity",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return CoverageOut.model_validate(row)

    return engine.db.transaction(work)


@router.post(
    "/{activity_id}/look-backs", response_model=ActivityDetail, status_code=status.HTTP_201_CREATED
)
def schedule_look_backs(
    activity_id: uuid.UUID,
    body: LookBackScheduleIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.decide"))],
) -> ActivityDetail:
    """回头看: start the look back of every linked closed matter (each in its own process)."""

    def work(s: Session) -> tuple[Outcome, ActivityDetail | None]:
        activity = _owned_activity(s, principal, activity_id, "activities.look_back")
        # A look back reopens a matter when it fails: each linked matter must be the caller's too.
        for linked in s.scalars(
            select(Matter).where(Matter.id.in_([uuid.UUID(m) for m in activity.matter_ids]))
        ):
            require_control(
                s,
                principal,
                "matters.look_back",
                object_type="matter",
                object_id=linked.id,
                owner_unit=linked.owner_unit,
            )
        outcomes = records.schedule_look_backs(
            engine, s, activity, body, actor=principal.sub, owner_unit=principal.unit
        )
        audit.record_change(
            s,
            principal,
            "activity.look_back",
            activity,
            object_type="activity",
            data=body.model_dump(),
            unit_code=principal.unit,
        )
        failed = next((o for o in outcomes if o.failure), None)
        if failed is not None:
            return failed, None
        return Outcome(activity.instance_id or uuid.uuid4()), details.detail(s, activity)

    return stepped(engine, work)


@router.post(
    "/{activity_id}/objections", response_model=ObjectionOut, status_code=status.HTTP_201_CREATED
)
def file_objection(
    activity_id: uuid.UUID,
    body: ObjectionIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("activities.object"))],
) -> ObjectionOut:
    """复核申请 (条例 Art. 17): a target unit objects to the conclusion within 30 days."""

    def work(s: Session) -> tuple[Outcome, ObjectionOut | None]:
        activity = queries.readable_activity(s, principal, activity_id)
        objection, outcome = records.file_objection(
            engine, s, activity, body, unit=principal.unit, actor=principal.sub
        )
        audit.record_change(
            s,
            principal,
            "activity.objection",
            activity,
            object_type="activity",
            data={"objection": str(objection.id), **body.model_dump()},
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else ObjectionOut.model_validate(objection)

    return stepped(engine, work)
