"""Working days for legal deadlines: Monday to Friday, minus the days off, plus the make-up days.

Deadlines for answering a phản ánh, kiến nghị are counted in working days.  The calendar is the
maintained ``holidays`` package's for Vietnam (lunar holidays, compensation days and swapped working
Saturdays for any year), plus the government's yearly decisions it does not know yet, kept as editable
data (``config/data/holidays.toml``).  It is loaded once and passed in, so a test or another province
can use its own.  Days are counted on the calendar of the datetime given: pass Vietnam-local times.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays as holiday_calendars

_WEEK = 5  # working days in a week without holidays


@dataclass(frozen=True)
class WorkCalendar:
    """Which days state agencies work: weekdays not in ``days_off``, and the weekend days in
    ``working_days`` (a Saturday worked in exchange for a bridging day off, "ngày làm bù")."""

    days_off: frozenset[date]
    working_days: frozenset[date] = frozenset()
    _off: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _worked: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Sorted once: every deadline counts over them by bisection.
        object.__setattr__(self, "_off", tuple(sorted(d for d in self.days_off if d.weekday() < 5)))
        worked = (d for d in self.working_days if d.weekday() >= 5 and d not in self.days_off)
        object.__setattr__(self, "_worked", tuple(sorted(worked)))

    def is_working(self, day: date) -> bool:
        if day in self.days_off:
            return False
        return day.weekday() < 5 or day in self.working_days

    def working_after(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (a <= b)."""
        off = bisect_right(self._off, b) - bisect_right(self._off, a)
        worked = bisect_right(self._worked, b) - bisect_right(self._worked, a)
        return _weekdays_after(a, b) - off + worked


def calendar_of(days_off: Iterable[date], working_days: Iterable[date] = ()) -> WorkCalendar:
    return WorkCalendar(frozenset(days_off), frozenset(working_days))


def _weekdays_after(a: date, b: date) -> int:
    """Weekdays d with a < d <= b (a <= b)."""
    days = (b - a).days
    weeks, rest = divmod(days, 7)
    count = weeks * _WEEK
    start = a.weekday()
    for step in range(1, rest + 1):
        if (start + step) % 7 < 5:
            count += 1
    return count


def working_days_between(a: datetime, b: datetime, calendar: WorkCalendar) -> int:
    """Working days after a's day up to and including b's day; negative when b is before a.

    ``working_days_between(s, add_working_days(s, n, c), c) == n`` for every n.
    """
    da, db = a.date(), b.date()
    if da <= db:
        return calendar.working_after(da, db)
    return -calendar.working_after(db, da)


def add_working_days(start: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """``start`` moved by ``days`` working days, time of day kept; 0 returns ``start`` unchanged.

    Forward: the n-th working day after start's day.  Backward (negative ``days``): the n-th working
    day before it.  Raises OverflowError beyond the calendar's range (year 1 to 9999).
    """
    if days == 0:
        return start
    origin = start.date()
    one = timedelta(days=1)
    # Jump whole weeks first (5 working days = 7 calendar days, fewer with holidays: never too far
    # unless make-up Saturdays add some, which the walk back below corrects), then walk the rest.
    jump = (abs(days) - 1) // _WEEK
    if days > 0:
        day = origin + timedelta(days=7 * jump)
        remaining = days - calendar.working_after(origin, day)
        step = one
    else:
        day = origin - timedelta(days=7 * jump)
        remaining = -days - calendar.working_after(day - one, origin - one) if jump else -days
        step = -one
    while remaining > 0:
        day += step
        if calendar.is_working(day):
            remaining -= 1
    while remaining < 0:  # jumped past the target (make-up days in the jump): walk back onto it
        if calendar.is_working(day):
            remaining += 1
        day -= step
    while not calendar.is_working(day):
        day -= step
    return datetime.combine(day, start.timetz())


# The calendar covers these years around today; a deadline beyond them falls on weekdays only.
YEARS_BEFORE, YEARS_AFTER = 10, 30


def load_holidays(path: str | Path, years: Collection[int] | None = None) -> WorkCalendar:
    """Vietnam's calendar for ``years`` (default: ten years back, thirty ahead), with the decisions
    of a holidays TOML file on top: ``[[day_off]] date = 2026-02-23`` (an extra day off the
    government grants) and ``[[working_day]] date = 2026-08-22`` (a Saturday worked in exchange).

    Raises ValueError on a malformed file: a wrong calendar must stop startup, not shift deadlines.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"holidays: not TOML: {exc}") from exc
    if years is None:
        this_year = date.today().year
        years = range(this_year - YEARS_BEFORE, this_year + YEARS_AFTER + 1)
    vietnam = holiday_calendars.country_holidays("VN", years=sorted(years))
    days_off = set(vietnam) | _dates(data, "day_off")
    working = set(vietnam.weekend_workdays) | _dates(data, "working_day")
    return WorkCalendar(frozenset(days_off - _dates(data, "not_day_off")), frozenset(working))


def _dates(data: dict[str, object], table: str) -> set[date]:
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise ValueError(f"holidays: [[{table}]] must be an array of tables")
    result: set[date] = set()
    for index, entry in enumerate(entries):
        value = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"holidays: [[{table}]] entry {index} needs `date = YYYY-MM-DD`")
        result.add(value)
    return result
