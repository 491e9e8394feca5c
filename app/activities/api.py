"""REST routes of supervision activities (督查活动), their records and attachments.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, File, Query, Request, Response, UploadFile, status

from app.activities import details, files, queries, records, use_cases
from app.activities.models import Activity, Attachment
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
from app.engine import EngineDep, SessionDep, run, run_step
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Limit, Offset, Search, Text, Year
from app.kit.paging import SEARCH_COUNT_CAP, page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/activities", tags=["activities"], responses=ERRORS)
attachment_router = Router(prefix="/api/v1/attachments", tags=["activities"], responses=ERRORS)
routers: list[Router] = [router, attachment_router]
Reader = Annotated[Principal, Depends(permission("activities.read"))]
Recorder = Annotated[Principal, Depends(permission("activities.record"))]
Drafter = Annotated[Principal, Depends(permission("plans.draft"))]
Uploader = Annotated[Principal, Depends(permission("attachments.upload"))]
Decider = Annotated[Principal, Depends(permission("matters.decide"))]
Objector = Annotated[Principal, Depends(permission("activities.object"))]


def readable_activity(activity_id: uuid.UUID, s: SessionDep, principal: Reader) -> Activity:
    """The activity of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    return queries.readable_activity(s, principal, activity_id)


def readable_attachment(attachment_id: uuid.UUID, s: SessionDep, principal: Reader) -> Attachment:
    """The attachment of the path, if the caller may read its activity; 404 otherwise."""
    return queries.readable_attachment(s, principal, attachment_id)


ReadableActivity = Annotated[Activity, Depends(readable_activity)]
ReadableAttachment = Annotated[Attachment, Depends(readable_attachment)]


@router.post("", response_model=ActivityDetail, status_code=status.HTTP_201_CREATED)
def create_office_activity(
    body: OfficeActivityIn, engine: EngineDep, principal: Drafter
) -> ActivityDetail:
    """A routine follow-up or lead verification the office runs itself (条例 Art. 14)."""
    return run_step(
        engine, use_cases.create_office_activity, engine=engine, actor=principal, body=body
    )


@router.get("", response_model=Page[ActivityOut])
def list_activities(
    s: SessionDep,
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
    cursor: Cursor = None,
) -> Page[ActivityOut]:
    """Activities in your scope (run by, aimed at or involving your units), newest first."""
    query = queries.filtered(
        s, principal, method=method, kind=kind, status=status_, unit=unit, year=year, q=q
    )
    cap = SEARCH_COUNT_CAP if q else None  # matched on each row's own text
    return page(s, query, Activity.created_at.desc(), ActivityOut, limit, offset, cursor, cap)


@router.get("/{activity_id}", response_model=ActivityDetail)
def get_activity(activity: ReadableActivity, s: SessionDep) -> ActivityDetail:
    """One activity: its records per method, conclusion, objections, attachments, open tasks."""
    return details.detail(s, activity)


@router.post(
    "/{activity_id}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED
)
def upload_attachment(
    activity_id: uuid.UUID,
    request: Request,
    engine: EngineDep,
    principal: Uploader,
    file: Annotated[UploadFile, File(description="jpeg, png, pdf, docx, xlsx, txt or csv")],
) -> AttachmentOut:
    """Attach a file (photos, reports, evidence): size and type (by content) are checked."""
    limit = request.app.state.settings.attachment_max_bytes
    data = file.file.read(limit + 1)
    return run(
        engine,
        use_cases.upload_attachment,
        actor=principal,
        activity_id=activity_id,
        filename=files.upload_name(file.filename),
        data=data,
        max_bytes=limit,
    )


@router.get("/{activity_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(activity: ReadableActivity, s: SessionDep) -> list[AttachmentOut]:
    """The activity's attachments (metadata)."""
    return details.attachments(s, activity)


@attachment_router.get("/{attachment_id}", response_class=Response)
def download_attachment(row: ReadableAttachment) -> Response:
    """The file itself, named for download (RFC 5987 for Chinese names)."""
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
    return run(
        engine,
        use_cases.import_survey_results,
        actor=principal,
        activity_id=activity_id,
        filename=files.upload_name(file.filename),
        raw=raw,
        max_rows=settings.survey_max_rows,
    )


@router.post(
    "/{activity_id}/coverage", response_model=CoverageOut, status_code=status.HTTP_201_CREATED
)
def add_coverage(
    activity_id: uuid.UUID, body: CoverageIn, engine: EngineDep, principal: Recorder
) -> CoverageOut:
    """舆论监督: record one media report."""
    return run(engine, use_cases.add_coverage, actor=principal, activity_id=activity_id, body=body)


@router.post(
    "/{activity_id}/look-backs", response_model=ActivityDetail, status_code=status.HTTP_201_CREATED
)
def schedule_look_backs(
    activity_id: uuid.UUID, body: LookBackScheduleIn, engine: EngineDep, principal: Decider
) -> ActivityDetail:
    """回头看: start the look back of every linked closed matter (each in its own process)."""
    return run_step(
        engine,
        use_cases.schedule_look_backs,
        engine=engine,
        actor=principal,
        activity_id=activity_id,
        body=body,
    )


@router.post(
    "/{activity_id}/objections", response_model=ObjectionOut, status_code=status.HTTP_201_CREATED
)
def file_objection(
    activity_id: uuid.UUID, body: ObjectionIn, engine: EngineDep, principal: Objector
) -> ObjectionOut:
    """复核申请 (条例 Art. 17): a target unit objects to the conclusion within 30 days."""
    return run_step(
        engine,
        use_cases.file_objection,
        engine=engine,
        actor=principal,
        activity_id=activity_id,
        body=body,
    )
