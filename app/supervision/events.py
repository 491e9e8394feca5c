"""Matter events (督查事项): what the matter's timeline records, as outbox events.

`app.supervision.timeline.note` is the one call that writes a matter change: the timeline entry
and, here, the events it means (entries integrators need not know — satisfaction, look-backs —
stay on the timeline only). An entry whose event says more than the timeline (an extension's
deadline and dates) passes those fields as `event_data`.
"""

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.outbox import emit
from app.supervision.matter_deadlines import added_rows
from app.supervision.models import Assignment, Matter, MatterDeadline, Urging

R = TypeVar("R", Assignment, Urging)

# timeline event -> (outbox type, extra data)
TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "registered": ("matter.registered", {}),
    "signed_for": ("matter.signed_for", {}),
    "returned": ("matter.returned", {}),
    "reported_progress": ("matter.reported", {"kind": "progress"}),
    "reported_co_report": ("matter.reported", {"kind": "co_report"}),
    "reported_final": ("matter.reported", {"kind": "final"}),
    "sent_back": ("matter.report_sent_back", {}),
    "light_changed": ("matter.light_changed", {}),
    "remind": ("matter.urged", {"kind": "remind"}),
    "urge": ("matter.urged", {"kind": "urge"}),
    "sign_overdue": ("matter.urged", {"kind": "sign_overdue"}),
    "early_urge": ("matter.urged", {"kind": "early_urge"}),  # 提前催办, by an operator
    "escalate": ("matter.escalated", {"kind": "escalate"}),
    "escalate_leader": ("matter.escalated", {"kind": "escalate_leader"}),
    "closed": ("matter.closed", {}),
    "evaluated": ("matter.evaluated", {}),
    "extension_requested": ("matter.extension_requested", {}),
    "extension_rejected": ("matter.extension_rejected", {}),
    "extension_approved": ("matter.extended", {}),
}


def matter_data(matter: Matter, **extra: Any) -> dict[str, Any]:
    """What every matter event says about its matter."""
    return {
        "matter_id": str(matter.id),
        "code": matter.code,
        "title": matter.title,
        "instance_id": str(matter.instance_id) if matter.instance_id else None,
        "owner_unit": matter.owner_unit,
        "lead_unit": matter.lead_unit,
        **extra,
    }


def matter_event(
    session: Session,
    matter: Matter,
    type_: str,
    *,
    summary: str,
    unit: str | None,
    actor: str | None,
    units: list[str | None] | None = None,
    **extra: Any,
) -> None:
    """One matter event about `unit` (all the matter's units when `units` is given)."""
    emit(
        session,
        type_,
        subject=str(matter.id),
        data=matter_data(matter, unit=unit, actor=actor, summary=summary, **extra),
        units=units or [matter.owner_unit, matter.lead_unit, unit],
        instance_id=matter.instance_id,
    )


def every_unit(matter: Matter) -> list[str | None]:
    """The owner, the lead and every co-operating unit."""
    return [matter.owner_unit, matter.lead_unit, *matter.co_units]


def from_timeline(
    session: Session,
    matter: Matter,
    event: str,
    summary: str,
    *,
    unit: str | None,
    actor: str | None,
    data: dict[str, Any] | None,
    event_data: dict[str, Any] | None = None,
) -> None:
    """The events a timeline entry means (none for entries integrators need not know); the
    event's fields are the entry's `data`, or `event_data` when given."""
    if event == "registered":
        _registered(session, matter, summary, actor)
        return
    if event == "reassigned":
        _assigned(session, matter, summary, unit, actor, reassigned_from=(data or {}).get("from"))
        return
    mapped = TYPES.get(event)
    if mapped is None:
        return
    type_, extra = mapped
    extra = {**extra, **(event_data if event_data is not None else data or {})}
    if type_ in ("matter.urged", "matter.escalated"):
        extra.update(_urging(session, matter, extra["kind"], unit))
    if type_ == "matter.light_changed":
        extra["to"] = str(extra.get("to"))
    whole = type_ in ("matter.light_changed", "matter.closed", "matter.evaluated")
    units = every_unit(matter) if whole or unit is None else None
    matter_event(
        session, matter, type_, summary=summary, unit=unit, actor=actor, units=units, **extra
    )


def _registered(session: Session, matter: Matter, summary: str, actor: str | None) -> None:
    matter_event(
        session,
        matter,
        "matter.registered",
        summary=summary,
        unit=None,
        actor=actor,
        units=every_unit(matter),
        co_units=list(matter.co_units),
        source_type=matter.source_type,
        category=matter.category,
        final_due=matter.final_due.isoformat(),
        parent_id=str(matter.parent_id) if matter.parent_id else None,
    )
    for unit in [matter.lead_unit, *matter.co_units]:
        _assigned(session, matter, f"交办：{matter.title}", unit, actor)


def _assigned(
    session: Session,
    matter: Matter,
    summary: str,
    unit: str | None,
    actor: str | None,
    reassigned_from: str | None = None,
) -> None:
    """matter.assigned: one unit's part (交办), with its role and sign-for deadline."""
    assignment = (
        _pending(session, Assignment, matter, unit)
        or next(
            (a for a in added_rows(session, matter, Assignment) or [] if a.unit_code == unit), None
        )
        or session.scalars(
            select(Assignment)
            .where(Assignment.matter_id == matter.id, Assignment.unit_code == unit)
            .order_by(Assignment.sign_due.desc())
        ).first()
    )
    matter_event(
        session,
        matter,
        "matter.assigned",
        summary=summary,
        unit=unit,
        actor=actor,
        units=[matter.owner_unit, matter.lead_unit, unit, reassigned_from],
        role=assignment.role if assignment else None,
        sign_due=assignment.sign_due.isoformat() if assignment else None,
        final_due=matter.final_due.isoformat(),
        reassigned_from=reassigned_from,
    )


def _urging(session: Session, matter: Matter, kind: str, unit: str | None) -> dict[str, Any]:
    """The urging the recorder has just added: its deadline's label and due date."""
    urging = _pending(session, Urging, matter, unit, kind=kind)
    deadline = (
        session.get(MatterDeadline, urging.deadline_id)
        if urging is not None and urging.deadline_id
        else None
    )
    if deadline is None:
        return {"due": None, "label": None}
    return {"due": deadline.due.isoformat(), "label": deadline.label}


def _pending(
    session: Session, model: type[R], matter: Matter, unit: str | None, **match: str
) -> R | None:
    """The row of `model` about this matter and unit that the caller has just added (the
    session does not flush before queries, so a query would not see it)."""
    for row in session.new:
        if not isinstance(row, model) or getattr(row, "matter_id", None) != matter.id:
            continue
        if getattr(row, "unit_code", None) != unit:
            continue
        if all(getattr(row, key, None) == value for key, value in match.items()):
            return row
    return None
