"""Working days: weekends and the holidays of config/data/holidays.toml skipped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.fields.workdays import add_working_days, load_holidays, working_days_between

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAYS_FILE = Path(__file__).resolve().parents[2] / "config" / "data" / "holidays.toml"
HOLIDAYS = load_holidays(HOLIDAYS_FILE)


def at(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, 30, tzinfo=VN)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (at(2026, 3, 2), 1, at(2026, 3, 3)),  # Mon → Tue
        (at(2026, 3, 6), 1, at(2026, 3, 9)),  # Fri → Mon
        (at(2026, 3, 7), 1, at(2026, 3, 9)),  # Sat → Mon
        (at(2026, 3, 8), 1, at(2026, 3, 9)),  # Sun → Mon
        (at(2026, 3, 2), 5, at(2026, 3, 9)),
        (at(2026, 3, 2), 10, at(2026, 3, 16)),
        (at(2026, 3, 2), 0, at(2026, 3, 2)),
        (at(2026, 3, 7), 0, at(2026, 3, 7)),
        (at(2026, 2, 13), 1, at(2026, 2, 23)),  # Tết Bính Ngọ: 16–20/2 off
        (at(2026, 2, 12), 2, at(2026, 2, 23)),
        (at(2025, 1, 24), 1, at(2025, 2, 3)),  # Tết Ất Tỵ: 27–31/1 off
        (at(2025, 4, 4), 1, at(2025, 4, 8)),  # Giỗ Tổ Mon 7/4/2025
        (at(2025, 4, 29), 1, at(2025, 5, 5)),  # 30/4, 1/5, 2/5 off
        (at(2025, 8, 29), 1, at(2025, 9, 3)),  # Quốc khánh 1–2/9/2025
        (at(2026, 4, 24), 1, at(2026, 4, 28)),  # Giỗ Tổ on Sunday 26/4 → Monday 27/4 off
        (at(2026, 4, 29), 1, at(2026, 5, 4)),
        (at(2025, 12, 31), 1, at(2026, 1, 2)),  # 1/1/2026
        (at(2027, 4, 29), 1, at(2027, 5, 4)),  # 30/4/2027 Fri, 3/5 compensation
        (at(2026, 3, 3), -1, at(2026, 3, 2)),
        (at(2026, 3, 9), -1, at(2026, 3, 6)),
        (at(2026, 2, 23), -1, at(2026, 2, 13)),
        (at(2026, 3, 9), -5, at(2026, 3, 2)),
        (at(2024, 1, 1), 260, at(2024, 12, 30)),  # no holidays listed for 2024
        (at(2026, 1, 5), 15, at(2026, 1, 26)),  # legal deadline, e.g. 15 working days
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days, HOLIDAYS) == expected


def test_add_working_days_keeps_time_and_timezone() -> None:
    result = add_working_days(datetime(2026, 3, 6, 16, 45, tzinfo=VN), 1, HOLIDAYS)
    assert result == datetime(2026, 3, 9, 16, 45, tzinfo=VN)
    assert result.tzinfo is VN


def test_add_working_days_without_holidays() -> None:
    assert add_working_days(at(2026, 2, 13), 1, []) == at(2026, 2, 16)
    assert add_working_days(datetime(2026, 2, 13), 1, set()) == datetime(2026, 2, 16)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(2026, 3, 2), at(2026, 3, 2, 17), 0),
        (at(2026, 3, 2), at(2026, 3, 3), 1),
        (at(2026, 3, 6), at(2026, 3, 9), 1),
        (at(2026, 3, 2), at(2026, 3, 16), 10),
        (at(2026, 3, 7), at(2026, 3, 8), 0),
        (at(2026, 2, 13), at(2026, 2, 23), 1),
        (at(2026, 2, 1), at(2026, 3, 1), 15),  # February 2026: 20 weekdays, 5 of Tết
        (at(2026, 3, 16), at(2026, 3, 2), -10),
        (at(2025, 1, 1), at(2025, 12, 31), 249),  # 261 weekdays − 12 holidays (1/1 itself not counted)
    ],
)
def test_working_days_between(a: datetime, b: datetime, expected: int) -> None:
    assert working_days_between(a, b, HOLIDAYS) == expected


def test_holiday_file_lists_the_main_days() -> None:
    for day in (
        date(2025, 1, 1),
        date(2025, 1, 29),
        date(2025, 4, 7),
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 9, 2),
        date(2026, 1, 1),
        date(2026, 2, 17),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 9, 2),
        date(2027, 1, 1),
        date(2027, 4, 16),
        date(2027, 9, 2),
    ):
        assert day in HOLIDAYS
    assert all(day.weekday() < 5 for day in HOLIDAYS), "weekend days need not be listed"
    assert {d.year for d in HOLIDAYS} == {2025, 2026, 2027}


def test_load_holidays_from_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text('[[holiday]]\ndate = 2026-02-17\nname = "Tết Nguyên đán"\n', encoding="utf-8")
    assert load_holidays(path) == frozenset({date(2026, 2, 17)})
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_holidays(path) == frozenset()


@pytest.mark.parametrize(
    "content",
    [
        "[[holiday]]\ndate = 2026-02-31\n",
        "[[holiday]]\nname = 'x'\n",
        "holiday = 3\n",
        "[[holiday]]\ndate = '2026-02-17'\n",
    ],
)
def test_load_holidays_rejects_malformed_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "h.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_holidays(path)


def _naive_add(start: date, days: int) -> date:
    step = timedelta(days=1 if days > 0 else -1)
    day, remaining = start, abs(days)
    while remaining:
        day += step
        if day.weekday() < 5 and day not in HOLIDAYS:
            remaining -= 1
    return day


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=date(2024, 6, 1), max_value=date(2028, 6, 1)), st.integers(-120, 120))
def test_add_matches_a_day_by_day_walk(start: date, days: int) -> None:
    begin = datetime(start.year, start.month, start.day, 8, 0, tzinfo=VN)
    result = add_working_days(begin, days, HOLIDAYS)
    assert result.date() == (_naive_add(start, days) if days else start)
    if days >= 0 or (start.weekday() < 5 and start not in HOLIDAYS):
        assert working_days_between(begin, result, HOLIDAYS) == days


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 100_000))
def test_large_spans_are_fast_and_consistent(days: int) -> None:
    begin = at(2025, 1, 2)
    result = add_working_days(begin, days, HOLIDAYS)
    assert working_days_between(begin, result, HOLIDAYS) == days
