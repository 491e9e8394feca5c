"""Holiday schedules an admin loads for years the calendar library does not know yet."""

from datetime import date

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Engine
from app.kit.bounds import Day, Input, Year
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.supervision.calendar import default_calendar
from app.supervision.models import HolidaySchedule
from app.supervision.recalendar import recompute_provisional


class ScheduleIn(Input):
    """One year: its statutory holidays (weekends inside them may be listed) and swapped
    working days (调休)."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    holidays: list[Day] = Field(max_length=200)
    workdays: list[Day] = Field(default_factory=list, max_length=50)
    source: str = Field(min_length=2, max_length=500, description="the notice it comes from")


def store(engine: Engine, session: Session, body: ScheduleIn, *, actor: str) -> HolidaySchedule:
    """Validate, keep and apply a schedule at once (other processes apply it at start-up), and
    compute again the open deadlines decided on the provisional calendar for that year."""
    try:
        default_calendar().load_year(body.year, body.holidays, body.workdays, body.source)
    except ValueError as exc:
        raise InvalidData(str(exc), errors=[{"field": "holidays", "message": str(exc)}]) from exc
    row = session.get(HolidaySchedule, body.year) or HolidaySchedule(year=body.year)
    row.holidays = [d.isoformat() for d in body.holidays]
    row.workdays = [d.isoformat() for d in body.workdays]
    row.source, row.loaded_by, row.loaded_at = body.source, actor, clock.now()
    session.add(row)
    session.flush()
    recompute_provisional(engine, session, year=body.year, actor=actor)
    return row


def apply_stored(session: Session) -> int:
    """Load every stored schedule into this process's calendar; returns how many."""
    rows = list(session.scalars(select(HolidaySchedule)))
    calendar = default_calendar()
    for row in rows:
        calendar.load_year(
            row.year,
            [date.fromisoformat(d) for d in row.holidays],
            [date.fromisoformat(d) for d in row.workdays],
            row.source,
        )
    return len(rows)
