"""What a step of an activity's process means for its records (step handlers: app.engine.steps).

The diagrams mark user tasks with `activityStep`; each handler turns one completed task into
the activity's rows inside the step's transaction. A handler that refuses the step (records
missing, a decider who must step aside) raises, and the whole step rolls back.
"""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.activities import service
from app.activities.events import activity_concluded
from app.activities.models import (
    Activity,
    Attachment,
    Evaluation,
    Finding,
    InspectionOpinion,
    LookBack,
    Objection,
    SurveyImport,
)
from app.activities.records import add_coverage
from app.activities.schemas import CoverageIn
from app.engine import CompletedElement, ElementHandler, StepContext, StepRegistry, TaskRecord
from app.identity.policy import Forbidden
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData
from app.org.models import Unit
from app.supervision.matters import LOOK_BACK_KEY

Handler = Callable[[Session, Activity, CompletedElement, str | None], None]
KEYS = (service.PROCESS_KEY, service.OBJECTION_KEY)


class RecordsMissing(DomainError):
    """The task summarises records that are not there yet."""

    status, code = 409, "activity_records_missing"


def register(steps: StepRegistry) -> None:
    """This domain's step handlers: the activity's markers, then a look-back's re-check."""
    domain = steps.domain("activities", ("activityStep",), KEYS)
    for value, handler in HANDLERS.items():
        domain.on("activityStep", value, _on_activity(handler))
    domain.after.append(_assign_invitees)
    look_back = steps.domain("activities.look_back", ("matterStep",), (LOOK_BACK_KEY,))
    look_back.on("matterStep", "look_back_check", _look_back_checked)


def _on_activity(handler: Handler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        if element.element_type != "UserTask":
            return  # a multi-instance task completes once more as a whole: not a record
        activity = context.session.get(Activity, uuid.UUID(element.data["activity_id"]))
        if activity is not None:
            handler(context.session, activity, element, context.actor)

    return run


def check_attachments(session: Session, activity: Activity, ids: list[str], field: str) -> None:
    """Every id names an attachment of this activity (422 naming the field otherwise)."""
    if not ids:
        return
    known = {
        str(a)
        for a in session.scalars(
            select(Attachment.id).where(
                Attachment.activity_id == activity.id,
                Attachment.id.in_([uuid.UUID(i) for i in ids]),
            )
        )
    }
    errors = [
        {"field": f"{field}/{i}", "message": "not an attachment of this activity"}
        for i, value in enumerate(ids)
        if value not in known
    ]
    if errors:
        raise InvalidData("unknown attachments", errors=errors)


def _prepared(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    """条例 Art. 8 and 12: the team, advance notice, and who is invited or commissioned."""
    data = element.data
    invitees = data.get("invitees") or []
    evaluator = data.get("evaluator_unit")
    errors: list[dict[str, Any]] = []
    if activity.method == "invited_inspection" and not invitees:
        errors.append({"field": "invitees", "message": "invite at least one deputy or member"})
    if activity.method == "third_party" and not evaluator:
        errors.append({"field": "evaluator_unit", "message": "name the commissioned evaluator"})
    named = [(f"invitees/{i}/unit", v["unit"]) for i, v in enumerate(invitees)]
    if evaluator:
        named.append(("evaluator_unit", evaluator))
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_([c for _, c in named]))))
    errors.extend(
        {"field": f, "message": f"unknown unit '{c}'"} for f, c in named if c not in known
    )
    if errors:
        raise InvalidData("the activity cannot be prepared so", errors=errors)
    fields = (
        "team_leader",
        "team_members",
        "advance_notice",
        "notice",
        "invitees",
        "evaluator_unit",
    )
    activity.preparation = {k: data.get(k) for k in fields if data.get(k) is not None}
    for _, code in named:
        service.involve(session, activity, code, "evaluator" if code == evaluator else "invitee")
    service.mark_started(activity)


def _on_site(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    data = element.data
    photos = list(data.get("photos") or [])
    check_attachments(session, activity, photos, "photos")
    session.add(
        Finding(
            activity_id=activity.id,
            step="on_site",
            unit_code=data.get("target"),
            findings=data["findings"],
            problems=data.get("problems"),
            attachment_ids=photos,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
    )


def _finding(session: Session, activity: Activity, step: str, text: str, actor: str | None) -> None:
    session.add(
        Finding(
            activity_id=activity.id,
            step=step,
            findings=text,
            attachment_ids=[],
            recorded_by=actor,
            recorded_at=clock.now(),
        )
    )


def _look_back_summary(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    checks = list(session.scalars(select(LookBack).where(LookBack.activity_id == activity.id)))
    unchecked = sum(c.checked_at is None for c in checks)
    if not checks or unchecked:
        raise RecordsMissing(
            "schedule the look backs of the linked matters and finish their checks first",
            errors=[
                {
                    "field": "look_backs",
                    "message": f"{unchecked} unchecked of {len(checks)}",
                }
            ],
        )
    _finding(session, activity, "look_back", element.data["summary"], actor)


def _look_back_checked(context: StepContext, element: CompletedElement) -> None:
    """A linked matter's look-back check (回头看复核) is the activity's re-check finding."""
    instance_id = context.events.instance.id
    for row in context.session.scalars(select(LookBack).where(LookBack.instance_id == instance_id)):
        row.result = element.data.get("result")
        row.findings = element.data.get("findings")
        row.checked_by, row.checked_at = context.actor, clock.now()


def _opinion(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    data, invitee = element.data, element.data["invitee"]
    attachments = list(data.get("attachments") or [])
    check_attachments(session, activity, attachments, "attachments")
    session.add(
        InspectionOpinion(
            activity_id=activity.id,
            invitee=invitee["user"],
            unit_code=invitee["unit"],
            opinion=data["opinion"],
            suggestions=data.get("suggestions"),
            attachment_ids=attachments,
            recorded_at=clock.now(),
        )
    )


def _evaluation(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    data = element.data
    attachments = list(data.get("attachments") or [])
    check_attachments(session, activity, attachments, "attachments")
    session.add(
        Evaluation(
            activity_id=activity.id,
            evaluator=actor,
            unit_code=data["evaluator_unit"],
            report=data["report"],
            score=data["score"],
            attachment_ids=attachments,
            submitted_at=clock.now(),
        )
    )


def _evaluation_review(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    latest = session.scalars(
        select(Evaluation)
        .where(Evaluation.activity_id == activity.id, Evaluation.decision.is_(None))
        .order_by(Evaluation.submitted_at.desc())
    ).first()
    if latest is None:
        return
    latest.decision = "accepted" if element.data["decision"] == "accept" else "returned"
    latest.comment = element.data.get("comment")
    latest.reviewed_by, latest.reviewed_at = actor, clock.now()


def _survey_analysis(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    imported = session.scalar(
        select(SurveyImport.id).where(SurveyImport.activity_id == activity.id).limit(1)
    )
    if imported is None:
        raise RecordsMissing(
            "import the survey results first",
            errors=[{"field": "survey", "message": "POST /api/v1/activities/{id}/survey-results"}],
        )
    _finding(session, activity, "survey_analysis", element.data["analysis"], actor)


def _media(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    for item in element.data.get("coverage") or []:
        add_coverage(session, activity, CoverageIn.model_validate(item), actor=actor)
    _finding(session, activity, "media_summary", element.data["summary"], actor)


def _concluded(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    """条例 Art. 16: the conclusion, on facts and evidence, delivered to the target units."""
    activity.conclusion = element.data["conclusion"]
    activity.evidence = element.data["evidence"]
    activity.concluded_by, activity.concluded_at = actor, clock.now()
    activity.status = "concluded"
    activity_concluded(session, activity, actor=actor)


def _objection_decided(
    session: Session, activity: Activity, element: CompletedElement, actor: str | None
) -> None:
    """条例 Art. 17: the government decides; those who made the conclusion step aside."""
    if actor is not None and actor in made_the_conclusion(session, activity):
        raise Forbidden(
            "you took part in making the conclusion and must step aside (条例 Art. 17)",
            errors=[{"field": "decider", "message": actor}],
        )
    objection = session.get(Objection, uuid.UUID(element.data["objection_id"]))
    if objection is None:
        return
    data = element.data
    objection.status, objection.decision = "decided", data["decision"]
    objection.decision_reason = data["reason"]
    objection.decided_by, objection.decided_at = actor, clock.now()
    if data["decision"] == "amended":
        activity.conclusion = data["amended_conclusion"]


def made_the_conclusion(session: Session, activity: Activity) -> set[str]:
    """Who drew the conclusion and who recorded the findings it rests on."""
    people = {activity.concluded_by} if activity.concluded_by else set()
    people |= {
        p
        for p in session.scalars(
            select(Finding.recorded_by).where(Finding.activity_id == activity.id)
        )
        if p
    }
    return people


def _assign_invitees(context: StepContext) -> None:
    """Each invited deputy gets their own task (seed 四(二)): assign it to them."""
    session = context.session
    for row in context.events.created_rows:
        invitee = (row.get("input") or {}).get("invitee")
        if row.get("element_id") == "record_inspection_opinion" and invitee:
            session.execute(
                update(TaskRecord)
                .where(TaskRecord.id == row["id"])
                .values(assignee=invitee["user"])
            )


HANDLERS: dict[str, Handler] = {
    "prepare": _prepared,
    "on_site": _on_site,
    "look_back": _look_back_summary,
    "opinion": _opinion,
    "evaluation": _evaluation,
    "evaluation_review": _evaluation_review,
    "survey_analysis": _survey_analysis,
    "media": _media,
    "conclusion": _concluded,
    "objection_decision": _objection_decided,
}
