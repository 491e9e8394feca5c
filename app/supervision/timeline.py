"""The matter's timeline: one entry per meaningful event, in Chinese for officials; `note`
writes the entry and its outbox events together (app.supervision.events)."""

from typing import Any

from sqlalchemy.orm import Session

from app.kit.clock import clock
from app.org.service import name_of
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


LIGHT_WORDS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


def unit_label(session: Session, code: str | None) -> str:
    """A unit as officials read it in a summary: its name (its code if unknown)."""
    if not code:
        return ""
    return name_of(session, code) or code


def light_word(light: object) -> str:
    """A light in words (绿灯, 黄灯, 红灯)."""
    value = str(getattr(light, "value", light))
    return LIGHT_WORDS.get(value, value)
