"""Rectification events integrators read (限期整改): rectification.opened / urged / due /
accepted, from the rectification's history entries (`service.note` hands each one here)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.outbox import emit, optional_id
from app.rectification.models import Rectification, RectificationPart

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
            "instance_id": optional_id(rectification.instance_id),
            "owner_unit": rectification.owner_unit,
            "source_matter_id": optional_id(rectification.source_matter_id),
            "part_id": optional_id(part.id) if part is not None else None,
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
