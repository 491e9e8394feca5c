"""What the office and the units add to an activity outside its tasks: attachments, survey
results, media coverage, look backs of linked matters and objections to the conclusion."""

import hashlib
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import files, service, surveys
from app.activities.models import Activity, Attachment, Coverage, LookBack, Objection, SurveyImport
from app.activities.schemas import CoverageIn, LookBackScheduleIn, ObjectionIn
from app.engine import Engine, Outcome, start_instance
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData
from app.kit.timezone import CHINA
from app.supervision import matters
from app.supervision.deadlines import Deadline, FollowUp, follow_up_due
from app.supervision.models import Matter


class TooLarge(DomainError):
    status, code = 413, "payload_too_large"


class UnsupportedType(DomainError):
    status, code = 415, "unsupported_media_type"


class NotOpen(DomainError):
    """The activity is concluded (or not yet): the change does not fit its state."""

    status, code = 409, "activity_state"


def store_attachment(
    session: Session,
    activity: Activity,
    *,
    filename: str,
    data: bytes,
    max_bytes: int,
    actor: str,
    unit: str,
) -> Attachment:
    """Check size, emptiness and the real type (magic bytes), then keep the bytes."""
    if len(data) > max_bytes:
        raise TooLarge(
            f"the file is larger than {max_bytes} bytes",
            errors=[{"field": "file", "message": f"at most {max_bytes} bytes"}],
        )
    if not data:
        raise InvalidData("the file is empty", errors=[{"field": "file", "message": "empty"}])
    kind = files.sniff(data, filename)
    allowed = ", ".join(files.ALLOWED)
    if kind is None:
        raise UnsupportedType(
            "the file's content is not an allowed type",
            errors=[{"field": "file", "message": f"allowed: {allowed}"}],
        )
    if not files.extension_matches(kind, filename):
        raise UnsupportedType(
            f"the file's content is {kind}, its name says otherwise",
            errors=[{"field": "file", "message": f"'{filename}' holds {kind} data"}],
        )
    row = Attachment(
        id=uuid.uuid4(),
        activity_id=activity.id,
        filename=filename,
        content_type=files.ALLOWED[kind][0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=actor,
        uploaded_unit=unit,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    service.mark_started(activity)
    return row


def import_survey(
    session: Session, activity: Activity, *, filename: str, raw: bytes, max_rows: int, actor: str
) -> SurveyImport:
    """民意调查 (seed 四(四)): validate and keep one CSV of answers."""
    if activity.method != "survey":
        raise NotOpen("survey results belong to a survey activity")
    _open(activity)
    survey = surveys.parse(raw, max_rows=max_rows)
    row = SurveyImport(
        activity_id=activity.id,
        filename=filename,
        encoding=survey.encoding,
        row_count=len(survey.responses),
        questions=survey.questions,
        responses=survey.responses,
        imported_by=actor,
        imported_at=clock.now(),
    )
    session.add(row)
    session.flush()
    service.mark_started(activity)
    return row


def add_coverage(
    session: Session, activity: Activity, body: CoverageIn, *, actor: str | None
) -> Coverage:
    """舆论监督 (seed 四(五)): one media report."""
    _open(activity)
    row = Coverage(
        activity_id=activity.id, recorded_by=actor, recorded_at=clock.now(), **body.model_dump()
    )
    session.add(row)
    session.flush()
    return row


def schedule_look_backs(
    engine: Engine,
    session: Session,
    activity: Activity,
    body: LookBackScheduleIn,
    *,
    actor: str,
    owner_unit: str,
) -> list[Outcome]:
    """回头看 (seed 四(一)) of each linked closed matter, by the matter's own look-back process."""
    if activity.method != "look_back":
        raise NotOpen("look backs belong to a look-back activity")
    _open(activity)
    done = {
        str(m)
        for m in session.scalars(
            select(LookBack.matter_id).where(LookBack.activity_id == activity.id)
        )
    }
    outcomes = []
    for index, matter_id in enumerate(activity.matter_ids):
        matter = session.get(Matter, uuid.UUID(matter_id))
        if matter is None:
            raise InvalidData(
                "unknown matter", errors=[{"field": f"matter_ids/{index}", "message": matter_id}]
            )
        if matter_id in done:
            continue
        outcome = matters.schedule_look_back(
            engine,
            session,
            matter,
            check_days=body.check_days,
            rectify_days=body.rectify_days,
            actor=actor,
            owner_unit=owner_unit,
        )
        session.add(
            LookBack(
                activity_id=activity.id,
                matter_id=matter.id,
                instance_id=outcome.instance_id,
                scheduled_at=clock.now(),
            )
        )
        outcomes.append(outcome)
    session.flush()
    service.mark_started(activity)
    return outcomes


def objection_deadline(activity: Activity) -> Deadline | None:
    """条例 Art. 17: review may be applied for within 30 days of receiving the conclusion."""
    if activity.concluded_at is None:
        return None
    return follow_up_due(FollowUp.REVIEW_APPLICATION, _china_day(activity))


def _china_day(activity: Activity) -> date:
    assert activity.concluded_at is not None
    return activity.concluded_at.astimezone(CHINA).date()


def file_objection(
    engine: Engine,
    session: Session,
    activity: Activity,
    body: ObjectionIn,
    *,
    unit: str,
    actor: str,
) -> tuple[Objection, Outcome]:
    """A target unit applies for review; the government decides within 30 days (条例 Art. 17)."""
    if unit not in activity.target_units:
        raise InvalidData(
            "only a target unit of the activity may apply for review",
            errors=[{"field": "unit", "message": f"'{unit}' is not a target unit"}],
        )
    deadline = objection_deadline(activity)
    if deadline is None:
        raise NotOpen("the activity has no conclusion yet")
    today = matters.today()
    if today > deadline.due:
        raise InvalidData(
            f"the review application period ended on {deadline.due} ({deadline.rule})",
            errors=[{"field": "filed_at", "message": f"deadline {deadline.due}"}],
            deadline=deadline.due.isoformat(),
        )
    decide = follow_up_due(FollowUp.REVIEW_DECISION, today)
    objection = Objection(
        id=uuid.uuid4(),
        activity_id=activity.id,
        unit_code=unit,
        applicant=actor,
        reason=body.reason,
        filed_at=clock.now(),
        decide_due=decide.due,
        status="pending",
    )
    session.add(objection)
    session.flush()
    outcome = start_instance(
        engine,
        session,
        process_key=service.OBJECTION_KEY,
        version=None,
        business_key=str(objection.id),
        variables={
            "activity_id": str(activity.id),
            "activity_code": activity.code,
            "objection_id": str(objection.id),
            "objection_unit": unit,
            "reason": body.reason,
            "conclusion": activity.conclusion,
            "government_unit": service.government_unit(session, activity.owner_unit),
            "decide_due": decide.due.isoformat(),
        },
        actor=actor,
        unit_code=activity.owner_unit,
    )
    objection.instance_id = outcome.instance_id
    return objection, outcome


def _open(activity: Activity) -> None:
    if activity.status in ("concluded", "cancelled"):
        raise NotOpen(f"the activity is {activity.status}")
