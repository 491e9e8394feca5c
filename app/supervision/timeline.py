"""The matter's timeline: one entry per meaningful event, in Chinese for officials; `note`
writes the entry and its outbox events together (app.supervision.events)."""

from typing import Any

from sqlalchemy.orm import Session

from app.kit.clock import clock
from app.supervision.events import from_timeline
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
    event_data: dict[str, Any] | None = None,
) -> None:
    """Append one timeline entry and the outbox events it means, with the same summary
    (app.supervision.events; `event_data`: the event's fields, when not the entry's `data`)."""
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
    from_timeline(
        session, matter, event, summary, unit=unit, actor=actor, data=data, event_data=event_data
    )
