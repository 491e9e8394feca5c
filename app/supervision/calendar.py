"""The official Chinese work calendar (工作日历): statutory holidays and swapped workdays (调休).

Where an answer comes from, per year, in order:
1. a schedule loaded for that year (`load_year` / `load_file`, e.g. `data/holidays/2027.json`
   once the State Council publishes its notice 国务院办公厅关于20XX年部分节假日安排的通知)
   — basis "loaded";
2. the `chinese_calendar` library, for the years it knows (2004–2026 in 1.11.0) — basis "official";
3. for years nobody has published: the statutory holidays of the national rules (全国年节及纪念日
   放假办法: New Year's Day; Spring Festival, eve to the third day; Qingming; Labour Day, 1–2 May;
   Dragon Boat; Mid-Autumn; National Day, 1–3 October), computed by python-holidays' `China`
   without its "observed" days (its guesses at the bridging days), plus weekends; make-up working
   days are unknown until the notice, so there are none — basis "provisional": answered, flagged
   on every deadline it decided, recomputed when the year's schedule is loaded, never an error.
"""

import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import chinese_calendar  # type: ignore[import-untyped]
import holidays as holiday_rules

Basis = Literal["official", "loaded", "provisional"]

HOLIDAYS_DIR = Path(__file__).resolve().parents[2] / "data" / "holidays"
LIBRARY_SOURCE = f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}".strip()
PROVISIONAL_SOURCE = (
    "未公布放假安排：按全国年节及纪念日放假办法的法定节假日推算，调休上班日未知"
    f" (provisional: python-holidays {holiday_rules.__version__}, statutory days only)"
)


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: rest days (放假) and swapped working days (调休上班)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str


def _validated(year: int, holidays: list[date], workdays: list[date], source: str) -> YearSchedule:
    """A schedule whose dates all lie in `year` and are either rest or work, never both."""
    stray = sorted(d for d in [*holidays, *workdays] if d.year != year)
    if stray:
        raise ValueError(f"schedule for {year} lists dates of other years: {stray}")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ValueError(f"schedule for {year} lists dates as both holiday and workday: {both}")
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), source)


def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` by the national rules (no bridging days, no swaps)."""
    found = holiday_rules.China(years=year, observed=False)
    # Published years also list their swapped rest days ("Day off (substituted from …)"):
    # those come from a notice, not from the rules.
    return frozenset(d for d, name in found.items() if "substituted" not in name)


def _library_knows(year: int) -> bool:
    """Whether `chinese_calendar` has data for `year` (it raises NotImplementedError otherwise)."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days on the official calendar; years can be loaded, unknown years are provisional."""

    def __init__(self) -> None:
        self._loaded: dict[int, YearSchedule] = {}
        self._library_years: dict[int, bool] = {}
        self._statutory: dict[int, frozenset[date]] = {}

    def load_year(
        self, year: int, holidays: list[date], workdays: list[date], source: str = ""
    ) -> None:
        """Use this schedule for `year`, overriding the library's; holidays may include weekends."""
        self._loaded[year] = _validated(year, holidays, workdays, source)

    def load_file(self, path: Path | str) -> int:
        """Load a `{"year", "holidays", "workdays", "source"}` JSON schedule; returns its year."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        try:
            year = int(raw["year"])
            holidays = [date.fromisoformat(s) for s in raw["holidays"]]
            workdays = [date.fromisoformat(s) for s in raw["workdays"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a holiday schedule ({exc})") from exc
        self.load_year(year, holidays, workdays, str(raw.get("source", Path(path).name)))
        return year

    def basis(self, d: date) -> Basis:
        """Where the answer for `d`'s year comes from."""
        if d.year in self._loaded:
            return "loaded"
        if d.year not in self._library_years:
            self._library_years[d.year] = _library_knows(d.year)
        return "official" if self._library_years[d.year] else "provisional"

    def source(self, year: int) -> str:
        """A human-readable name of the schedule used for `year` (for display next to the basis)."""
        if year in self._loaded:
            return self._loaded[year].source
        if self.basis(date(year, 1, 1)) == "official":
            return LIBRARY_SOURCE
        return PROVISIONAL_SOURCE

    def is_workday(self, d: date) -> bool:
        """A working day: Monday–Friday unless a holiday, or a weekend swapped to work (调休)."""
        basis = self.basis(d)
        if basis == "loaded":
            schedule = self._loaded[d.year]
            return d in schedule.workdays or (d.weekday() < 5 and d not in schedule.holidays)
        if basis == "official":
            return bool(chinese_calendar.is_workday(d))
        if d.year not in self._statutory:
            self._statutory[d.year] = statutory_holidays(d.year)
        return d.weekday() < 5 and d not in self._statutory[d.year]

    def is_holiday(self, d: date) -> bool:
        """Not a working day: a statutory holiday or a weekend rest day."""
        return not self.is_workday(d)

    def next_workday(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` not counted); negative n counts back; 0 gives `d`."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        if b < a:
            return -self.workdays_between(b, a)
        return sum(self.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def span_basis(self, first: date, last: date) -> Basis:
        """The basis of a decision that looked at every day from `first` to `last`.

        "provisional" if any year in between is unpublished, else the basis of `last`'s year.
        """
        years = range(min(first, last).year, max(first, last).year + 1)
        if any(self.basis(date(y, 1, 1)) == "provisional" for y in years):
            return "provisional"
        return self.basis(last)


_default: WorkCalendar | None = None
_default_lock = threading.Lock()


def calendar_from_dir(directory: Path) -> WorkCalendar:
    """A calendar with every `*.json` schedule in `directory` loaded (none if it is missing)."""
    calendar = WorkCalendar()
    for path in sorted(directory.glob("*.json")):
        calendar.load_file(path)
    return calendar


def default_calendar() -> WorkCalendar:
    """The process-wide calendar, with `data/holidays/*.json` loaded at first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = calendar_from_dir(HOLIDAYS_DIR)
        return _default
