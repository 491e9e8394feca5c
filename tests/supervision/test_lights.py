"""Status lights and the escalation ladder — domain.md §7."""

from datetime import date

import pytest

from app.supervision.calendar import WorkCalendar
from app.supervision.lights import (
    Light,
    Obligation,
    closed_outcome,
    escalation_step,
    expected_progress,
    matter_light,
    obligation_light,
    progress_light,
    time_light,
    too_many_extensions,
    trigger_light,
)

G, Y, R = Light.GREEN, Light.YELLOW, Light.RED
DUE = date(2026, 10, 9)  # Friday after National Day; 3 working days back is 2026-09-29


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("today", "done_on", "window", "working_days", "expected"),
    [
        # §7 time axis, 3 working days on the official calendar (across National Day)
        (date(2026, 9, 28), None, 3, True, G),
        (date(2026, 9, 29), None, 3, True, Y),  # first day of the window
        (date(2026, 10, 3), None, 3, True, Y),
        (DUE, None, 3, True, Y),  # the due day itself is not late
        (date(2026, 10, 10), None, 3, True, R),  # past due, not done
        # §7: calendar-day windows too
        (date(2026, 10, 5), None, 3, False, G),
        (date(2026, 10, 6), None, 3, False, Y),
        # §7: done obligations are green, even when done late
        (date(2026, 10, 12), date(2026, 10, 11), 3, True, G),
        (date(2026, 10, 1), date(2026, 9, 30), 3, True, G),
    ],
)
def test_time_light(
    calendar: WorkCalendar,
    today: date,
    done_on: date | None,
    window: int,
    working_days: bool,
    expected: Light,
) -> None:
    obligation = Obligation("report", DUE, done_on, window=window, working_days=working_days)
    assert time_light(obligation, today, calendar) == expected


@pytest.mark.parametrize(
    ("started", "due", "today", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 11), date(2026, 3, 6), 50),
        (date(2026, 3, 1), date(2026, 3, 11), date(2026, 2, 20), 0),  # before the start
        (date(2026, 3, 1), date(2026, 3, 11), date(2026, 4, 1), 100),  # after the due day
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1), 100),  # empty period
    ],
)
def test_expected_progress(started: date, due: date, today: date, expected: int) -> None:
    assert expected_progress(started, due, today) == expected


START, END, MID = date(2026, 3, 1), date(2026, 3, 11), date(2026, 3, 6)  # 50% expected at MID


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        # §7 progress axis: yellow at ≥ 10 points behind, red at > 30
        (50, G),
        (60, G),  # ahead of schedule
        (40.5, G),  # 9.5 behind
        (40, Y),  # exactly 10 behind
        (20, Y),  # exactly 30 behind: still yellow
        (19, R),  # 31 behind
        (0, R),
    ],
)
def test_progress_light(progress: float, expected: Light) -> None:
    assert progress_light(progress, START, END, MID) == expected


@pytest.mark.parametrize(
    ("progress", "started"),
    [(None, START), (10, None)],
)
def test_progress_light_without_data_is_green(progress: float | None, started: date | None) -> None:
    assert progress_light(progress, started, END, MID) == G


def test_progress_light_thresholds_are_parameters() -> None:
    assert progress_light(45, START, END, MID, yellow_gap=5, red_gap=20) == Y
    assert progress_light(29, START, END, MID, yellow_gap=5, red_gap=20) == R


@pytest.mark.parametrize("progress", [-1, 100.5])
def test_progress_out_of_range(progress: float) -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        progress_light(progress, START, END, MID)


@pytest.mark.parametrize(
    ("obligation", "today", "expected"),
    [
        # §7: worst of time and progress
        (
            Obligation("report", date(2026, 6, 30), progress=50, started=date(2026, 3, 1)),
            date(2026, 4, 1),
            G,
        ),
        (
            Obligation("report", date(2026, 6, 30), progress=35, started=date(2026, 3, 1)),
            date(2026, 4, 30),
            Y,
        ),
        (
            Obligation("report", date(2026, 6, 30), progress=0, started=date(2026, 3, 1)),
            date(2026, 5, 31),
            R,
        ),
        (
            Obligation("report", date(2026, 6, 30), progress=90, started=date(2026, 3, 1)),
            date(2026, 6, 29),
            Y,
        ),
        (
            Obligation("report", date(2026, 6, 30), progress=90, started=date(2026, 3, 1)),
            date(2026, 7, 1),
            R,
        ),
        (
            Obligation(
                "report", date(2026, 6, 30), date(2026, 7, 2), progress=0, started=date(2026, 3, 1)
            ),
            date(2026, 7, 10),
            G,
        ),
    ],
)
def test_obligation_light(
    calendar: WorkCalendar, obligation: Obligation, today: date, expected: Light
) -> None:
    assert obligation_light(obligation, today, calendar) == expected


@pytest.mark.parametrize(
    ("lights", "expected"),
    [
        # §7: a matter's light is the worst of its open obligations
        ([], G),
        ([G, G], G),
        ([G, Y, G], Y),
        ([Y, R, G], R),
        ([R], R),
    ],
)
def test_matter_light(lights: list[Light], expected: Light) -> None:
    assert matter_light(lights) == expected
    assert matter_light(iter(lights)) == expected


@pytest.mark.parametrize(
    ("done_on", "expected"),
    [
        # §7: closed obligations are on time or late with calendar days late (for scoring)
        (date(2026, 10, 8), ("on_time", 0)),
        (DUE, ("on_time", 0)),
        (date(2026, 10, 10), ("late", 1)),
        (date(2026, 10, 19), ("late", 10)),
    ],
)
def test_closed_outcome(done_on: date, expected: tuple[str, int]) -> None:
    assert closed_outcome(DUE, done_on) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, False), (1, False), (2, True), (5, True)],  # §7: more than one extension → yellow
)
def test_too_many_extensions(count: int, expected: bool) -> None:
    assert too_many_extensions(count) is expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # §7 non-deadline triggers light yellow
        ({}, G),
        ({"extensions": 1}, G),
        ({"extensions": 2}, Y),
        ({"sign_for_overdue": True}, Y),
        ({"reports_missed": 1}, Y),
    ],
)
def test_trigger_light(kwargs: dict[str, int | bool], expected: Light) -> None:
    assert trigger_light(**kwargs) == expected  # type: ignore[arg-type]


RED_SINCE = date(2026, 9, 29)  # Tuesday before National Day


@pytest.mark.parametrize(
    ("red_since", "today", "expected"),
    [
        # §7 ladder: red → urging notice; still red after 5 working days → escalation
        (None, date(2026, 10, 12), "none"),
        (RED_SINCE, date(2026, 9, 28), "none"),
        (RED_SINCE, RED_SINCE, "urge"),
        (RED_SINCE, date(2026, 10, 7), "urge"),  # 1 working day: the holiday does not count
        (RED_SINCE, date(2026, 10, 10), "urge"),  # 4: 9-30, 10-08, 10-09, 10-10 (调休)
        (RED_SINCE, date(2026, 10, 11), "urge"),
        (RED_SINCE, date(2026, 10, 12), "escalate"),  # 5th working day
        (date(2027, 1, 4), date(2027, 1, 11), "escalate"),  # provisional year, no holiday
        (date(2027, 1, 4), date(2027, 1, 8), "urge"),
    ],
)
def test_escalation_step(
    calendar: WorkCalendar, red_since: date | None, today: date, expected: str
) -> None:
    assert escalation_step(red_since, today, calendar=calendar) == expected


def test_escalation_after_is_a_parameter(calendar: WorkCalendar) -> None:
    assert escalation_step(RED_SINCE, date(2026, 10, 8), after_workdays=2, calendar=calendar) == (
        "escalate"
    )
