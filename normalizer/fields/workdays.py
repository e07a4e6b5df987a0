"""Working days for legal deadlines: Monday to Friday, minus public holidays.

Deadlines for answering a phản ánh, kiến nghị are counted in working days.  The holidays are data
(``config/data/holidays.toml``), loaded once and passed in, so a test or another province can use
its own list.  Days are counted on the calendar of the datetime given: pass Vietnam-local times.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

_WEEK = 5  # working days in a week without holidays


def _is_working(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


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


def _working_after(a: date, b: date, sorted_holidays: Sequence[date]) -> int:
    """Working days d with a < d <= b (a <= b)."""
    lo, hi = bisect_right(sorted_holidays, a), bisect_right(sorted_holidays, b)
    on_weekdays = sum(1 for h in sorted_holidays[lo:hi] if h.weekday() < 5)
    return _weekdays_after(a, b) - on_weekdays


def working_days_between(a: datetime, b: datetime, holidays: Collection[date]) -> int:
    """Working days after a's day up to and including b's day; negative when b is before a.

    ``working_days_between(s, add_working_days(s, n, h), h) == n`` for every n.
    """
    sorted_holidays = _sorted(frozenset(holidays))
    da, db = a.date(), b.date()
    if da <= db:
        return _working_after(da, db, sorted_holidays)
    return -_working_after(db, da, sorted_holidays)


def add_working_days(start: datetime, days: int, holidays: Collection[date]) -> datetime:
    """``start`` moved by ``days`` working days, time of day kept; 0 returns ``start`` unchanged.

    Forward: the n-th working day after start's day.  Backward (negative ``days``): the n-th working
    day before it.  Raises OverflowError beyond the calendar's range (year 1 to 9999).
    """
    if days == 0:
        return start
    holiday_set = frozenset(holidays)
    sorted_holidays = _sorted(holiday_set)
    origin = start.date()
    one = timedelta(days=1)
    # Jump whole weeks first (5 working days = 7 calendar days, fewer with holidays: never too far),
    # then walk the remainder, which is small.
    jump = (abs(days) - 1) // _WEEK
    if days > 0:
        day = origin + timedelta(days=7 * jump)
        remaining = days - _working_after(origin, day, sorted_holidays)
        step = one
    else:
        day = origin - timedelta(days=7 * jump)
        remaining = -days - _working_after(day - one, origin - one, sorted_holidays) if jump else -days
        step = -one
    while remaining > 0:
        day += step
        if _is_working(day, holiday_set):
            remaining -= 1
    return datetime.combine(day, start.timetz())


@lru_cache(maxsize=8)
def _sorted(holidays: frozenset[date]) -> tuple[date, ...]:
    """Sorted once per holiday list (the context's list is the same frozenset for every deadline)."""
    return tuple(sorted(holidays))


def load_holidays(path: str | Path) -> frozenset[date]:
    """The holiday dates in a holidays TOML file (``[[holiday]] date = 2026-02-17``).

    Raises ValueError on a malformed file: a wrong holiday list must stop startup, not shift deadlines.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"holidays: not TOML: {exc}") from exc
    entries = data.get("holiday", [])
    if not isinstance(entries, list):
        raise ValueError("holidays: [[holiday]] must be an array of tables")
    result: set[date] = set()
    for index, entry in enumerate(entries):
        value = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"holidays: entry {index} needs `date = YYYY-MM-DD`")
        result.add(value)
    return frozenset(result)
