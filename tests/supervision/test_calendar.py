"""The official work calendar: library years, loaded years, and provisional unpublished years."""

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]
import holidays as holiday_rules
import pytest

from app.supervision.calendar import (
    HOLIDAYS_DIR,
    WorkCalendar,
    calendar_from_dir,
    default_calendar,
    statutory_holidays,
)

# A made-up 2027 schedule for tests only — NOT the State Council's (unpublished in our data).
TEST_2027_HOLIDAYS = [date(2027, 1, 1), *(date(2027, 2, 6) + timedelta(days=i) for i in range(7))]
TEST_2027_WORKDAYS = [date(2027, 2, 20)]


@pytest.fixture
def calendar() -> WorkCalendar:
    """A calendar with nothing loaded: the library for 2004–2026, provisional after."""
    return WorkCalendar()


@pytest.fixture
def loaded_2027(calendar: WorkCalendar) -> WorkCalendar:
    calendar.load_year(2027, TEST_2027_HOLIDAYS, TEST_2027_WORKDAYS, source="test schedule")
    return calendar


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        # domain §5: 2026-10-01…07 National Day, 10-08 a working day (chinese_calendar 1.11.0)
        (date(2026, 10, 1), False),
        (date(2026, 10, 5), False),  # a Monday inside the holiday
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        # 调休: swapped weekend working days are working days
        (date(2026, 9, 20), True),  # Sunday
        (date(2026, 10, 10), True),  # Saturday
        (date(2026, 2, 14), True),  # Saturday before Spring Festival
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 3, 14), False),  # ordinary Saturday
        (date(2026, 3, 16), True),  # ordinary Monday
        (date(2026, 4, 6), False),  # Qingming, a Monday
    ],
)
def test_official_2026(calendar: WorkCalendar, day: date, workday: bool) -> None:
    assert calendar.is_workday(day) is workday
    assert calendar.is_holiday(day) is not workday
    assert calendar.basis(day) == "official"


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2027, 1, 1), False),  # New Year's Day, a Friday: statutory, known without a notice
        (date(2027, 1, 4), True),  # an ordinary Monday
        (date(2027, 2, 5), False),  # Spring Festival eve (除夕), a Friday
        (date(2027, 2, 8), False),  # Spring Festival, third day, a Monday
        (date(2027, 2, 9), True),  # python-holidays' "observed" guess is not used: a Tuesday
        (date(2027, 2, 6), False),  # Saturday
        (date(2027, 2, 20), False),  # Saturday: make-up working days are unknown, so none
        (date(2027, 10, 4), True),  # Monday after National Day 1–3: no guessed bridging day
        (date(2003, 1, 1), False),  # before the library's range: New Year's Day still
    ],
)
def test_unpublished_year_is_provisional(calendar: WorkCalendar, day: date, workday: bool) -> None:
    # domain §5: never an error for years nobody has published; the statutory holidays by the
    # national rules and weekends rest, no make-up working days, flagged "provisional"
    assert calendar.is_workday(day) is workday
    assert calendar.basis(day) == "provisional"


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2027, 1, 1), False),  # listed holiday
        (date(2027, 2, 8), False),  # listed holiday on a Monday
        (date(2027, 2, 20), True),  # swapped working Saturday (调休)
        (date(2027, 2, 13), False),  # ordinary Saturday
        (date(2027, 2, 15), True),  # ordinary Monday
    ],
)
def test_loaded_year_overrides_provisional(
    loaded_2027: WorkCalendar, day: date, workday: bool
) -> None:
    assert loaded_2027.is_workday(day) is workday
    assert loaded_2027.basis(day) == "loaded"
    assert loaded_2027.source(2027) == "test schedule"


def test_loaded_year_overrides_library(calendar: WorkCalendar) -> None:
    # domain §5: the calendar must be updatable; a loaded year wins over the library's
    assert calendar.is_workday(date(2026, 10, 8))
    calendar.load_year(2026, [date(2026, 10, 8)], [], source="corrected")
    assert not calendar.is_workday(date(2026, 10, 8))
    assert calendar.basis(date(2026, 10, 8)) == "loaded"
    assert calendar.is_workday(date(2026, 10, 10)) is False  # the library's swap is no longer used


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 9, 29), 1, date(2026, 9, 30)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over National Day
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # the swapped Saturday counts
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Friday → swapped Sunday
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # over a weekend
        (date(2026, 3, 14), 0, date(2026, 3, 14)),  # zero days: the day itself, even a rest day
        (date(2026, 10, 9), -3, date(2026, 9, 29)),  # counting back over the holiday
        (date(2026, 10, 4), -1, date(2026, 9, 30)),
        (date(2027, 1, 15), 1, date(2027, 1, 18)),  # provisional: over a weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # provisional: over New Year's Day
    ],
)
def test_add_workdays(calendar: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert calendar.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 9, 30), date(2026, 10, 8), 1),  # (a, b]: a not counted, b counted
        (date(2026, 9, 29), date(2026, 10, 12), 5),  # 9-30, 10-08, 10-09, 10-10 (调休), 10-12
        (date(2026, 10, 1), date(2026, 10, 7), 0),
        (date(2026, 3, 2), date(2026, 3, 2), 0),
        (date(2026, 10, 12), date(2026, 9, 29), -5),  # reversed: negative
    ],
)
def test_workdays_between(calendar: WorkCalendar, a: date, b: date, expected: int) -> None:
    assert calendar.workdays_between(a, b) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 3, 1), date(2026, 4, 1), "official"),
        (date(2026, 12, 20), date(2027, 1, 4), "provisional"),  # an unpublished year taints it
        (date(2027, 1, 1), date(2027, 3, 1), "provisional"),
    ],
)
def test_span_basis(calendar: WorkCalendar, first: date, last: date, expected: str) -> None:
    assert calendar.span_basis(first, last) == expected


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ([date(2026, 1, 1)], [], "other years"),
        ([date(2027, 2, 8)], [date(2027, 2, 8)], "both holiday and workday"),
    ],
)
def test_load_year_rejects_bad_schedules(
    calendar: WorkCalendar, holidays: list[date], workdays: list[date], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        calendar.load_year(2027, holidays, workdays)


def test_load_file_and_dir(tmp_path: Path, calendar: WorkCalendar) -> None:
    doc = {
        "year": 2027,
        "holidays": [d.isoformat() for d in TEST_2027_HOLIDAYS],
        "workdays": [d.isoformat() for d in TEST_2027_WORKDAYS],
        "source": "test schedule 2027",
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert calendar.load_file(path) == 2027
    assert not calendar.is_workday(date(2027, 2, 8))
    assert calendar.source(2027) == "test schedule 2027"
    from_dir = calendar_from_dir(tmp_path)
    assert from_dir.basis(date(2027, 2, 8)) == "loaded"
    assert calendar_from_dir(tmp_path / "missing").basis(date(2027, 2, 8)) == "provisional"


@pytest.mark.parametrize(
    "content",
    ['{"year": 2027, "holidays": []}', '{"year": 2027, "holidays": ["1 Jan"], "workdays": []}'],
)
def test_load_file_rejects_malformed(tmp_path: Path, calendar: WorkCalendar, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="not a holiday schedule"):
        calendar.load_file(path)


def test_shipped_2026_schedule_matches_library() -> None:
    # data/holidays/2026.json was generated from chinese_calendar: every day must agree
    shipped = calendar_from_dir(HOLIDAYS_DIR)
    library = WorkCalendar()
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert shipped.is_workday(day) == library.is_workday(day), day
        day += timedelta(days=1)
    assert shipped.basis(date(2026, 6, 1)) == "loaded"
    assert "2026" in shipped.source(2026)


def test_default_calendar_is_shared_and_loads_data() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().basis(date(2026, 10, 3)) == "loaded"
    assert not default_calendar().is_workday(date(2026, 10, 3))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_national_rules_agree_with_the_published_years(year: int) -> None:
    # domain §5: the statutory holidays (python-holidays' China, "observed" days left out) of a
    # published year are all rest days in chinese-calendar's data of the State Council's notice.
    statutory = statutory_holidays(year)
    assert len(statutory) == 13  # 1 + 4 (eve to 3rd day) + 1 + 2 + 1 + 1 + 3
    assert [d for d in sorted(statutory) if chinese_calendar.is_workday(d)] == []
    # The notice adds rest days the rules do not give (bridging days, swapped weekends) and
    # make-up working days: what a provisional year cannot know.
    rest = {d for d in _days(year) if not chinese_calendar.is_workday(d) and d.weekday() < 5}
    assert rest - statutory  # e.g. 2026-02-20, 2026-10-06…07
    swapped = [d for d in _days(year) if chinese_calendar.is_workday(d) and d.weekday() >= 5]
    assert swapped  # e.g. 2026-02-14, 2026-09-20, 2026-10-10


def test_python_holidays_observed_days_are_guesses() -> None:
    # python-holidays adds "observed" days for 2027 (e.g. 2027-02-09…10, 2027-10-04…05) by its
    # own rule; for 2025/2026 those it gave happened to be rest days in the notices, but the
    # notices gave more (2026 Spring Festival: 15–23 February). Provisional years use none.
    guessed = holiday_rules.China(years=2027)
    observed = sorted(d for d, name in guessed.items() if "observed" in name)
    assert observed and not set(observed) & statutory_holidays(2027)
    assert statutory_holidays(2027) == {
        date(2027, 1, 1),
        *(date(2027, 2, d) for d in (5, 6, 7, 8)),
        date(2027, 4, 5),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),
        date(2027, 9, 15),
        *(date(2027, 10, d) for d in (1, 2, 3)),
    }


def _days(year: int) -> list[date]:
    return [
        date(year, 1, 1) + timedelta(days=i)
        for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
    ]
