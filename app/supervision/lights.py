"""Status lights and the escalation ladder — domain.md §7 (*practice*, every threshold a parameter).

Two axes per open obligation: time (due date and warning window) and progress (behind the
time-proportional schedule). A matter's light is the worst of its open obligations.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy.sql.elements import ColumnElement

from app.config import get_settings
from app.kit.timezone import CHINA
from app.supervision.calendar import WorkCalendar, default_calendar
from app.supervision.deadlines import warning_start

WARNING_WINDOW = 3  # most offices warn 3 days ahead (the default of DUCHA_WARNING_WINDOW_DAYS)
PROGRESS_YELLOW_GAP = 10  # points behind schedule: yellow at ≥ 10
PROGRESS_RED_GAP = 30  # red when > 30
EXTENSIONS_ALLOWED = 1  # more than one extension lights yellow
ESCALATE_AFTER_WORKDAYS = 5  # still red after 5 working days → graded urging notice (督办)


class Light(StrEnum):
    """绿灯 / 黄灯 / 红灯."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_SEVERITY = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


def worst(lights: Iterable[Light]) -> Light:
    """The most severe of `lights`; green when there are none."""
    return max(lights, key=_SEVERITY.__getitem__, default=Light.GREEN)


@dataclass(frozen=True)
class Obligation:
    """An obligation of a unit: sign-for, report, extension decision, rectification, …"""

    kind: str
    due: date
    done_on: date | None = None
    window: int = WARNING_WINDOW
    working_days: bool = True
    progress: float | None = None  # 0..100, for matters with milestones or percentages
    started: date | None = None  # start of the time-proportional schedule


def time_light(obligation: Obligation, today: date, calendar: WorkCalendar | None = None) -> Light:
    """§7 time axis: red past due and not done; yellow inside the warning window; done is green."""
    if obligation.done_on is not None:
        return Light.GREEN
    if today > obligation.due:
        return Light.RED
    start = warning_start(
        obligation.due,
        window=obligation.window,
        working_days=obligation.working_days,
        calendar=calendar,
    )
    return Light.YELLOW if today >= start else Light.GREEN


def expected_progress(started: date, due: date, today: date) -> Fraction:
    """The time-proportional schedule: percent of the period elapsed by `today`, within 0..100."""
    total = (due - started).days
    if total <= 0:
        return Fraction(100 if today >= due else 0)
    elapsed = min(max((today - started).days, 0), total)
    return Fraction(elapsed * 100, total)


def progress_light(
    progress: float | None,
    started: date | None,
    due: date,
    today: date,
    *,
    yellow_gap: float = PROGRESS_YELLOW_GAP,
    red_gap: float = PROGRESS_RED_GAP,
) -> Light:
    """§7 progress axis: yellow when ≥ `yellow_gap` points behind schedule, red when > `red_gap`."""
    if progress is None or started is None:
        return Light.GREEN
    if not 0 <= progress <= 100:
        raise ValueError(f"progress must be within 0..100, got {progress}")
    gap = expected_progress(started, due, today) - Fraction(progress)
    if gap > Fraction(red_gap):
        return Light.RED
    if gap >= Fraction(yellow_gap):
        return Light.YELLOW
    return Light.GREEN


def obligation_light(
    obligation: Obligation,
    today: date,
    calendar: WorkCalendar | None = None,
    *,
    yellow_gap: float = PROGRESS_YELLOW_GAP,
    red_gap: float = PROGRESS_RED_GAP,
) -> Light:
    """§7: the worse of the time and progress axes; a done obligation is green."""
    if obligation.done_on is not None:
        return Light.GREEN
    by_time = time_light(obligation, today, calendar)
    by_progress = progress_light(
        obligation.progress,
        obligation.started,
        obligation.due,
        today,
        yellow_gap=yellow_gap,
        red_gap=red_gap,
    )
    return worst([by_time, by_progress])


def matter_light(lights: Iterable[Light]) -> Light:
    """§7: a matter's light is the worst of its open obligations' lights (green when none)."""
    return worst(lights)


def closed_outcome(due: date, done_on: date) -> tuple[Literal["on_time", "late"], int]:
    """§7: a closed obligation is on time (done by the due day) or late by N calendar days."""
    days_late = (done_on - due).days
    if days_late <= 0:
        return "on_time", 0
    return "late", days_late


def too_many_extensions(count: int, allowed: int = EXTENSIONS_ALLOWED) -> bool:
    """§7 non-deadline trigger: more than one extension lights yellow."""
    return count > allowed


def trigger_light(
    *, extensions: int = 0, sign_for_overdue: bool = False, reports_missed: int = 0
) -> Light:
    """§7 non-deadline triggers: not signed for in time, a periodic report missed, > 1 extension."""
    triggered = sign_for_overdue or reports_missed > 0 or too_many_extensions(extensions)
    return Light.YELLOW if triggered else Light.GREEN


def escalation_step(
    red_since: date | None,
    today: date,
    *,
    after_workdays: int = ESCALATE_AFTER_WORKDAYS,
    calendar: WorkCalendar | None = None,
) -> Literal["none", "urge", "escalate"]:
    """§7 ladder: red → urging notice (催办); still red after N working days → escalation (督办)."""
    if red_since is None or today < red_since:
        return "none"
    red_workdays = (calendar or default_calendar()).workdays_between(red_since, today)
    return "escalate" if red_workdays >= after_workdays else "urge"


def deadline_light(
    due: date, done_on: date | None, today: date, calendar: WorkCalendar | None = None
) -> Light:
    """domain.md §7, the one light of a deadline, read by tasks, matters, rectifications, the
    dashboard, the ledgers and the events: green once done; red when `today` is past the due
    day; yellow from `DUCHA_WARNING_WINDOW_DAYS` (default 3) working days before it; else green.
    """
    obligation = Obligation(
        kind="deadline", due=due, done_on=done_on, window=get_settings().warning_window_days
    )
    return time_light(obligation, today, calendar or default_calendar())


def due_day(due_at: datetime) -> date:
    """The last day (China time) on which a task due at the instant `due_at` is still on time.

    A due instant at midnight opens the next day (`at(due + 1 day)`, the diagrams' timers), so
    its due day is the day before; any other instant falls on its own day.
    """
    return (due_at - timedelta(microseconds=1)).astimezone(CHINA).date()


def task_light(due_at: datetime, now: datetime) -> str:
    """§7 for a ready task: the light of the deadline it serves (its due day), by `deadline_light`
    — so a sign-for task and its matter's sign-for deadline always show the same light."""
    return deadline_light(due_day(due_at), None, now.astimezone(CHINA).date()).value


def past_due(due: Any, done_on: Any, today: date) -> ColumnElement[bool]:
    """The red half of `deadline_light` as SQL (open and past its due day) for counts and lists."""
    return done_on.is_(None) & (due < today)
