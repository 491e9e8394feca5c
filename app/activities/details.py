"""One activity with everything about it, as the API shows it."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import records
from app.activities.models import (
    Activity,
    Attachment,
    Coverage,
    Evaluation,
    Finding,
    InspectionOpinion,
    LookBack,
    Objection,
    SurveyImport,
)
from app.activities.schemas import (
    ActivityDetail,
    ActivityOut,
    AttachmentOut,
    CoverageOut,
    EvaluationOut,
    FindingOut,
    LookBackOut,
    ObjectionOut,
    OpinionOut,
    SurveyImportOut,
    SurveyOut,
)
from app.activities.summaries import survey_aggregate
from app.engine import TaskRecord, task_outs


def survey(s: Session, activity: Activity) -> SurveyOut | None:
    """The imports and the aggregate over all of them (None before the first import)."""
    imports = list(
        s.scalars(
            select(SurveyImport)
            .where(SurveyImport.activity_id == activity.id)
            .order_by(SurveyImport.imported_at)
        )
    )
    if not imports:
        return None
    return SurveyOut(
        imports=[SurveyImportOut.model_validate(i) for i in imports],
        aggregate=survey_aggregate(imports),
    )


def attachments(s: Session, activity: Activity) -> list[AttachmentOut]:
    """The activity's attachments (metadata), oldest first."""
    rows = s.scalars(
        select(Attachment)
        .where(Attachment.activity_id == activity.id)
        .order_by(Attachment.uploaded_at)
    )
    return [AttachmentOut.model_validate(r) for r in rows]


def detail(s: Session, activity: Activity) -> ActivityDetail:
    """Records per method, opinions, evaluations, survey, coverage, attachments, conclusion,
    objections and the open tasks of the activity's processes."""

    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            s.scalars(select(model).where(model.activity_id == activity.id).order_by(order))
        )

    objections = rows(Objection, Objection.filed_at)
    look_backs = rows(LookBack, LookBack.scheduled_at)
    instances = [
        activity.instance_id,
        *(o.instance_id for o in objections),
        *(x.instance_id for x in look_backs),
    ]
    tasks = list(
        s.scalars(
            select(TaskRecord)
            .where(
                TaskRecord.instance_id.in_([i for i in instances if i is not None]),
                TaskRecord.state == "ready",
            )
            .order_by(TaskRecord.created_at)
        )
    )
    deadline = records.objection_deadline(activity)
    return ActivityDetail(
        **ActivityOut.model_validate(activity).model_dump(),
        content=activity.content,
        division_unit=activity.division_unit,
        preparation=activity.preparation,
        conclusion=activity.conclusion,
        evidence=activity.evidence,
        concluded_by=activity.concluded_by,
        objection_due=deadline.due if deadline else None,
        findings=[FindingOut.model_validate(f) for f in rows(Finding, Finding.recorded_at)],
        look_backs=[LookBackOut.model_validate(x) for x in look_backs],
        opinions=[
            OpinionOut.model_validate(o)
            for o in rows(InspectionOpinion, InspectionOpinion.recorded_at)
        ],
        evaluations=[
            EvaluationOut.model_validate(e) for e in rows(Evaluation, Evaluation.submitted_at)
        ],
        survey=survey(s, activity),
        coverage=[CoverageOut.model_validate(c) for c in rows(Coverage, Coverage.published_on)],
        attachments=attachments(s, activity),
        objections=[ObjectionOut.model_validate(o) for o in objections],
        ready_tasks=task_outs(s, tasks),
    )
