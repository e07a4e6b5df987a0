"""Working days: weekends and Vietnam's days off skipped (the `holidays` package's calendar plus the
decisions in config/data/holidays.toml), make-up Saturdays worked."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.fields.workdays import add_working_days, calendar_of, load_holidays, working_days_between

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAYS_FILE = Path(__file__).resolve().parents[2] / "config" / "data" / "holidays.toml"
HOLIDAYS = load_holidays(HOLIDAYS_FILE, years=range(2015, 2061))


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
        (at(2025, 4, 25), 1, at(2025, 4, 26)),  # Saturday 26/4/2025 worked, for Friday 2/5 off
        (at(2025, 4, 26), 1, at(2025, 4, 28)),
        (at(2026, 8, 21), 1, at(2026, 8, 22)),  # Saturday 22/8/2026 worked, for Monday 31/8 off
        (at(2026, 8, 28), 1, at(2026, 9, 3)),  # 31/8, 1/9, 2/9 off
        (at(2026, 11, 23), 1, at(2026, 11, 25)),  # Ngày Văn hóa Việt Nam 24/11
        (at(2030, 1, 30), 1, at(2030, 2, 7)),  # Tết Canh Tuất: 31/1–6/2/2030, from the lunar calendar
        (at(2045, 12, 29), 1, at(2046, 1, 2)),
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
    assert add_working_days(at(2026, 2, 13), 1, calendar_of([])) == at(2026, 2, 16)
    assert add_working_days(datetime(2026, 2, 13), 1, calendar_of(set())) == datetime(2026, 2, 16)


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
        # 260 weekdays after 1/1 − 11 days off (27–31/1, 7/4, 30/4, 1/5, 2/5, 1/9, 2/9) + Saturday 26/4
        (at(2025, 1, 1), at(2025, 12, 31), 250),
    ],
)
def test_working_days_between(a: datetime, b: datetime, expected: int) -> None:
    assert working_days_between(a, b, HOLIDAYS) == expected


def test_the_calendar_has_the_main_days_of_any_year() -> None:
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
        date(2031, 1, 23),  # Tết Tân Hợi
        date(2040, 2, 13),  # Tết Canh Thân
    ):
        assert not HOLIDAYS.is_working(day), day
    assert HOLIDAYS.is_working(date(2025, 4, 26)), "a make-up Saturday is a working day"
    assert not HOLIDAYS.is_working(date(2025, 4, 27))


def test_the_file_adds_and_removes_days(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text(
        '[[day_off]]\ndate = 2026-02-23\nname = "Nghỉ thêm sau Tết"\n'
        "[[working_day]]\ndate = 2026-02-28\n"
        "[[not_day_off]]\ndate = 2026-11-24\n",
        encoding="utf-8",
    )
    calendar = load_holidays(path, years=[2026])
    assert not calendar.is_working(date(2026, 2, 23))
    assert calendar.is_working(date(2026, 2, 28))
    assert calendar.is_working(date(2026, 11, 24))
    assert not calendar.is_working(date(2026, 2, 17)), "the package's own days stay"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_holidays(path, years=[2026]) == load_holidays(HOLIDAYS_FILE, years=[2026])


@pytest.mark.parametrize(
    "content",
    [
        "[[day_off]]\ndate = 2026-02-31\n",
        "[[day_off]]\nname = 'x'\n",
        "day_off = 3\n",
        "[[working_day]]\ndate = '2026-02-17'\n",
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
        if HOLIDAYS.is_working(day):
            remaining -= 1
    return day


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=date(2024, 6, 1), max_value=date(2028, 6, 1)), st.integers(-120, 120))
def test_add_matches_a_day_by_day_walk(start: date, days: int) -> None:
    begin = datetime(start.year, start.month, start.day, 8, 0, tzinfo=VN)
    result = add_working_days(begin, days, HOLIDAYS)
    assert result.date() == (_naive_add(start, days) if days else start)
    if days >= 0 or HOLIDAYS.is_working(start):
        assert working_days_between(begin, result, HOLIDAYS) == days


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 100_000))
def test_large_spans_are_fast_and_consistent(days: int) -> None:
    begin = at(2025, 1, 2)
    result = add_working_days(begin, days, HOLIDAYS)
    assert working_days_between(begin, result, HOLIDAYS) == days
