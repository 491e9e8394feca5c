"""Due dates written by designers: ISO durations, dates and date-times, read in China time."""

from datetime import UTC, date, datetime, time, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.kit.timezone import CHINA


def parse_due(text: str, now: datetime) -> datetime | None:
    """`P3D` from now, a date (end of that day, China time) or a date-time; None if unreadable."""
    text = text.strip()
    try:
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, now)
            return now + delta
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59), CHINA).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError, KeyError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.astimezone(UTC)
