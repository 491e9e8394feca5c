"""Timer texts designers write: ISO 8601 and cron cycles, checked at deploy and run (定时器).

Accepted literals: durations (`P3D`, `PT1.5H`), dates and date-times (with `Z` or an offset;
naive ones are China time), repeating intervals (`R/PT1H`, `R3/PT1H`, `R/<start>/P1D`,
`R/P1D/<end>`, `R2/<start>/<end>`) and, for a time cycle, cron:
5 fields (`min hour day month weekday`, weekday 0–7 with 0 and 7 Sunday), or 6 or 7 fields as
Camunda writes them (`sec min hour day month weekday [year]`, `?` for "any"; weekdays by name,
since Camunda 7 and 8 number them differently). `L`, `W` and `#` are refused.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)

from app.kit.clock import clock
from app.kit.timezone import CHINA

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_SEARCH_YEARS = 5
_NAMES = "|".join(_MONTHS + _DAYS)
_CRON_FIELD = re.compile(rf"^([0-9*?LW#,/\-]|{_NAMES})+$", re.IGNORECASE)


class TimerRefused(ValueError):
    """A timer text that no reading accepts; the message says why."""


def check_iso(text: str, *, kind: str) -> str:
    """An ISO 8601 timer text of a `timeDate`, `timeDuration` or `timeCycle` as SpiffWorkflow
    reads it (start/end cycles become start/duration)."""
    if kind == "timeCycle":
        return _check_cycle(text)
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(text)
    except Exception as exc:  # spiff raises bare Exception for malformed durations
        raise TimerRefused(f"invalid ISO 8601 timer '{text}': {exc}") from exc
    if kind == "timeDate" and not isinstance(parsed, datetime):
        raise TimerRefused(f"a timeDate needs a date or date-time, not '{text}'")
    if kind == "timeDuration" and isinstance(parsed, datetime):
        raise TimerRefused(f"a timeDuration needs a duration such as P3D, not '{text}'")
    return text


def _check_cycle(text: str) -> str:
    parts = text.split("/")
    if len(parts) == 3 and "P" not in parts[1].upper() and "P" not in parts[2].upper():
        start, end = (_moment(p, text) for p in parts[1:])
        if end <= start:
            raise TimerRefused(f"invalid ISO 8601 cycle '{text}': the end is before the start")
        text = f"{parts[0]}/{parts[1]}/PT{int((end - start).total_seconds())}S"
    try:
        cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception as exc:  # spiff raises bare Exception for malformed intervals
        raise TimerRefused(f"invalid ISO 8601 cycle '{text}': {exc}") from exc
    if duration <= timedelta(0) and cycles != 0:
        raise TimerRefused(f"invalid ISO 8601 cycle '{text}': the interval is not positive")
    return text


def _moment(text: str, whole: str) -> datetime:
    try:
        return TimerEventDefinition.get_datetime(text)
    except ValueError as exc:
        raise TimerRefused(f"invalid ISO 8601 cycle '{whole}': {exc}") from exc


# --- cron ----------------------------------------------------------------------------------


def is_cron(text: str) -> bool:
    """Whether a timer text looks like cron: 5 to 7 fields of numbers, names and `* ? , - /`
    (an expression such as `a if b else c` does not)."""
    fields = text.split()
    return 5 <= len(fields) <= 7 and all(_CRON_FIELD.match(f) for f in fields)


class Cron:
    """A cron schedule: the allowed values of each field."""

    def __init__(self, text: str):
        fields = text.split()
        if len(fields) == 5:
            fields = ["0", *fields, "*"]
            numeric_days = True
        elif len(fields) == 6:
            fields = [*fields, "*"]
            numeric_days = False
        else:
            numeric_days = False
        sec, minute, hour, day, month, weekday, year = fields
        self.seconds = _field(sec, 0, 59, "second")
        self.minutes = _field(minute, 0, 59, "minute")
        self.hours = _field(hour, 0, 23, "hour")
        self.days = _field(day, 1, 31, "day of month")
        self.months = _field(month, 1, 12, "month", names=_MONTHS, first=1)
        if not numeric_days and any(c.isdigit() for c in weekday):
            raise TimerRefused(
                f"write days of the week by name (MON-FRI) in cron '{text}': "
                "Camunda 7 and 8 number them differently"
            )
        days = _field(weekday, 0, 7, "day of week", names=_DAYS, first=0)
        self.weekdays = {d % 7 for d in days}  # 0 and 7 are Sunday
        self.years = _field(year, 1970, 2199, "year")
        self.any_day = day in ("*", "?")
        self.any_weekday = weekday in ("*", "?")

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time after `moment` (China time) that the schedule names; None if none."""
        local = moment.astimezone(CHINA).replace(microsecond=0) + timedelta(seconds=1)
        day = local.date()
        last = date(min(local.year + _SEARCH_YEARS, 9999), 12, 31)
        while day <= last:
            if self._day_matches(day):
                found = self._time_on(day, local)
                if found is not None:
                    return found.astimezone(UTC)
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_date and by_weekday  # the unrestricted one matches every day
        return by_date or by_weekday  # both restricted: either, as cron reads them

    def _time_on(self, day: date, after: datetime) -> datetime | None:
        today = day == after.date()  # earlier hours and minutes of today are skipped unseen
        for hour in sorted(h for h in self.hours if not today or h >= after.hour):
            early = today and hour == after.hour
            for minute in sorted(m for m in self.minutes if not early or m >= after.minute):
                for second in sorted(self.seconds):
                    candidate = datetime(day.year, day.month, day.day, hour, minute, second)
                    candidate = candidate.replace(tzinfo=CHINA)
                    if candidate >= after:
                        return candidate
        return None


def _field(
    text: str, low: int, high: int, what: str, *, names: list[str] | None = None, first: int = 0
) -> set[int]:
    upper = text.upper()
    for index, name in enumerate(names or []):
        upper = upper.replace(name, str(index + first))
    if any(c not in "0123456789*?,-/" for c in upper):
        raise TimerRefused(
            f"cron {what} '{text}': only numbers, names and * ? , - / are supported (no L, W, #)"
        )
    values: set[int] = set()
    for part in upper.split(","):
        values |= _part(part, low, high, what)
    return values


def _part(part: str, low: int, high: int, what: str) -> set[int]:
    base, _, step_text = part.partition("/")
    step = _number(step_text, what) if step_text else 1
    if step < 1:
        raise TimerRefused(f"cron {what} step must be positive")
    if base in ("*", "?"):
        start, end = low, high
    elif "-" in base:
        start_text, end_text = base.split("-", 1)
        start, end = _number(start_text, what), _number(end_text, what)
    else:
        start = _number(base, what)
        end = high if step_text else start
    if not (low <= start <= high and low <= end <= high) or start > end:
        raise TimerRefused(f"cron {what} '{part}' is outside {low}-{high}")
    return set(range(start, end + 1, step))


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise TimerRefused(f"cron {what} '{text}' is not a number")
    return int(text)


class CronTimerEventDefinition(CycleTimerEventDefinition):
    """A time cycle written as cron: repeats at each time the schedule names, without end.

    Its state has the shape of SpiffWorkflow's cycles (`cycles`, `next`, `duration`) so that
    the engine's timer jobs read it alike; `duration` 0 because the gaps differ, and a late
    timer fires once and moves on to the next named time after now.
    """

    def cycle_complete(self, my_task: Any) -> bool:
        """Fire when the next named time has passed, then schedule the following one."""
        value = my_task._get_internal_data("event_value")
        now = clock.now()
        schedule = Cron(self.expression)
        if value is None:
            value = {"cycles": -1, "next": _iso(schedule.next_after(now)), "duration": 0}
        ready = False
        if value["next"] is not None and datetime.fromisoformat(value["next"]) < now:
            value["next"] = _iso(schedule.next_after(now))
            ready = True
        if value["next"] is None:  # no named time left: the timer is done, as a finished cycle
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return ready
        my_task._set_internal_data(event_value=value)
        return ready


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def check_cron(text: str) -> None:
    """A cron cycle that names some time at all (else TimerRefused); independent of today, so
    that a definition read again years later still parses."""
    schedule = Cron(text)
    first = datetime(min(schedule.years), 1, 1, tzinfo=CHINA) - timedelta(seconds=1)
    if schedule.next_after(first) is None:
        raise TimerRefused(f"cron '{text}' names no time")
