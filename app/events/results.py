"""Plan and results events: plan.approved, activity.concluded, bulletin.issued,
accountability.decided and rectification.* (限期整改), each emitted where the change happens."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.events.outbox import emit
from app.planning.models import AnnualPlan
from app.rectification.models import Rectification, RectificationPart
from app.results.models import AccountabilityCase, Bulletin


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def plan_approved(session: Session, plan: AnnualPlan, *, actor: str | None, comment: Any) -> None:
    """年度督查计划 approved by the government's leader."""
    emit(
        session,
        "plan.approved",
        subject=str(plan.id),
        data={
            "plan_id": str(plan.id),
            "year": plan.year,
            "title": plan.title,
            "instance_id": _id(plan.instance_id),
            "owner_unit": plan.owner_unit,
            "leader_unit": plan.leader_unit,
            "actor": actor,
            "comment": comment,
        },
        units=[plan.owner_unit, plan.leader_unit],
        instance_id=plan.instance_id,
    )


def activity_concluded(session: Session, activity: Activity, *, actor: str | None) -> None:
    """督查结论 (条例 Art. 16): an activity concluded, for its target units."""
    emit(
        session,
        "activity.concluded",
        subject=str(activity.id),
        data={
            "activity_id": str(activity.id),
            "code": activity.code,
            "title": activity.title,
            "method": activity.method,
            "kind": activity.kind,
            "instance_id": _id(activity.instance_id),
            "owner_unit": activity.owner_unit,
            "target_units": list(activity.target_units),
            "conclusion": activity.conclusion,
            "actor": actor,
        },
        units=[activity.owner_unit, activity.division_unit, *activity.target_units],
        instance_id=activity.instance_id,
    )


def bulletin_issued(session: Session, bulletin: Bulletin, *, actor: str | None) -> None:
    """督查通报 印发 (条例 Art. 21), to its recipients."""
    emit(
        session,
        "bulletin.issued",
        subject=str(bulletin.id),
        data={
            "bulletin_id": str(bulletin.id),
            "code": bulletin.code,
            "title": bulletin.title,
            "doc_number": bulletin.doc_number,
            "instance_id": _id(bulletin.instance_id),
            "owner_unit": bulletin.owner_unit,
            "recipients": list(bulletin.recipients),
            "actor": actor,
        },
        units=[bulletin.owner_unit, *bulletin.recipients],
        instance_id=bulletin.instance_id,
    )


def accountability_decided(
    session: Session, case: AccountabilityCase, *, actor: str | None
) -> None:
    """问责 decided (条例 Art. 21). The persons concerned stay out of the event: integrators
    learn that a unit was held to account, and read the case through the API if allowed."""
    emit(
        session,
        "accountability.decided",
        subject=str(case.id),
        data={
            "case_id": str(case.id),
            "code": case.code,
            "measure": case.measure,
            "doc_number": case.doc_number,
            "instance_id": _id(case.instance_id),
            "owner_unit": case.owner_unit,
            "units": list(case.unit_codes),
            "matter_ids": list(case.matter_ids),
            "actor": actor,
        },
        units=[case.owner_unit, *case.unit_codes],
        instance_id=case.instance_id,
    )


URGINGS = ("remind", "urge", "escalate", "escalate_leader")


def from_rectification(
    session: Session,
    rectification: Rectification,
    event: str,
    summary: str,
    *,
    part: RectificationPart | None,
    actor: str | None,
    data: dict[str, Any] | None,
) -> None:
    """The events a rectification's history entry means (rectification.opened / urged / due /
    accepted); other entries stay in its history only."""
    data = data or {}
    if event == "opened":
        units = session.scalars(
            select(RectificationPart.unit_code).where(
                RectificationPart.rectification_id == rectification.id
            )
        )
        _rectification(
            session, rectification, "rectification.opened", summary, None, actor, list(units)
        )
    elif event in URGINGS and part is not None:
        extra = {"kind": event, "notice": data.get("notice")}
        _rectification(
            session, rectification, "rectification.urged", summary, part, actor, [], **extra
        )
    elif event == "part_light_changed" and data.get("to") == "red" and part is not None:
        _rectification(session, rectification, "rectification.due", summary, part, actor, [])
    elif event == "accepted" and part is not None:
        _rectification(session, rectification, "rectification.accepted", summary, part, actor, [])


def _rectification(
    session: Session,
    rectification: Rectification,
    type_: str,
    summary: str,
    part: RectificationPart | None,
    actor: str | None,
    units: list[str],
    **extra: Any,
) -> None:
    unit = part.unit_code if part is not None else None
    emit(
        session,
        type_,
        subject=str(rectification.id),
        data={
            "rectification_id": str(rectification.id),
            "code": rectification.code,
            "title": rectification.title,
            "instance_id": _id(rectification.instance_id),
            "owner_unit": rectification.owner_unit,
            "source_matter_id": _id(rectification.source_matter_id),
            "part_id": _id(part.id) if part is not None else None,
            "unit": unit,
            "units": units or [unit],
            "due": (part.due if part is not None else rectification.due).isoformat(),
            "summary": summary,
            "actor": actor,
            **extra,
        },
        units=[rectification.owner_unit, unit, *units],
        instance_id=rectification.instance_id,
    )
