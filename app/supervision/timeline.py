"""The matter's timeline: one entry per meaningful event, in Chinese for officials."""

from typing import Any

from sqlalchemy.orm import Session

from app.events.matters import from_timeline
from app.kit.clock import clock
from app.supervision.models import Matter, TimelineEntry


def note(
    session: Session,
    matter: Matter,
    event: str,
    summary: str,
    *,
    unit: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one timeline entry (and the outbox events it means: app.events.matters)."""
    session.add(
        TimelineEntry(
            matter_id=matter.id,
            at=clock.now(),
            event=event,
            unit_code=unit,
            actor=actor,
            summary=summary,
            data=data,
        )
    )
    from_timeline(session, matter, event, summary, unit=unit, actor=actor, data=data)
