"""The official work calendar: library years, loaded years, and the weekends-only fallback."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.supervision.calendar import (
    HOLIDAYS_DIR,
    WorkCalendar,
    calendar_from_dir,
    default_calendar,
)

# A made-up 2027 schedule for tests only — NOT the State Council's (unpublished in our data).
TEST_2027_HOLIDAYS = [date(2027, 1, 1), *(date(2027, 2, 6) + timedelta(days=i) for i in range(7))]
TEST_2027_WORKDAYS = [date(2027, 2, 20)]


@pytest.fixture
def calendar() -> WorkCalendar:
    """A calendar with nothing loaded: the library for 2004–2026, weekends only after."""
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
        (date(2027, 1, 1), True),  # New Year's Day is unknown: a Friday counts as working
        (date(2027, 2, 8), True),  # likely Spring Festival, unknown: a Monday
        (date(2027, 2, 6), False),  # Saturday
        (date(2027, 2, 7), False),  # Sunday
        (date(2027, 2, 20), False),  # Saturday, no swap known
        (date(2003, 1, 1), True),  # before the library's range too
    ],
)
def test_unknown_year_falls_back_to_weekends(
    calendar: WorkCalendar, day: date, workday: bool
) -> None:
    # domain §5: never an error for years nobody knows, flagged "fallback"
    assert calendar.is_workday(day) is workday
    assert calendar.basis(day) == "fallback"


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
def test_loaded_year_overrides_fallback(
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
        (date(2027, 1, 15), 1, date(2027, 1, 18)),  # fallback: weekends only
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
        (date(2026, 12, 20), date(2027, 1, 4), "fallback"),  # any unknown year taints the span
        (date(2027, 1, 1), date(2027, 3, 1), "fallback"),
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
    assert calendar_from_dir(tmp_path / "missing").basis(date(2027, 2, 8)) == "fallback"


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
