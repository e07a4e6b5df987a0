"""Incident times in Vietnamese, resolved against a fixed received_at (never the clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.fields.times import TimeResult, find_incident_time, parse_incident_time

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Saturday 14 September 2024, 10:00 in Vietnam.
RECEIVED = datetime(2024, 9, 14, 10, 0, tzinfo=VN)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("text", "value", "precision", "matched"),
    [
        ("14h30 ngày 12/9/2024", vn(2024, 9, 12, 14, 30), "minute", "14h30 ngày 12/9/2024"),
        ("14h", vn(2024, 9, 13, 14), "hour", "14h"),
        ("9h", vn(2024, 9, 14, 9), "hour", "9h"),
        ("14h30", vn(2024, 9, 13, 14, 30), "minute", "14h30"),
        ("14:30", vn(2024, 9, 13, 14, 30), "minute", "14:30"),
        ("14g30 ngày 12/9/2024", vn(2024, 9, 12, 14, 30), "minute", "14g30 ngày 12/9/2024"),
        (
            "lúc 14 giờ 30 phút ngày 12/9/2024",
            vn(2024, 9, 12, 14, 30),
            "minute",
            "14 giờ 30 phút ngày 12/9/2024",
        ),
        ("ngày 12/9/2024 lúc 14h30", vn(2024, 9, 12, 14, 30), "minute", "ngày 12/9/2024 lúc 14h30"),
        ("8 giờ sáng", vn(2024, 9, 14, 8), "hour", "8 giờ sáng"),
        ("2 giờ chiều", vn(2024, 9, 13, 14), "hour", "2 giờ chiều"),
        ("10 giờ tối ngày 10/9", vn(2024, 9, 10, 22), "hour", "10 giờ tối ngày 10/9"),
        ("9 giờ kém 15", vn(2024, 9, 14, 8, 45), "minute", "9 giờ kém 15"),
        ("7 giờ rưỡi sáng nay", vn(2024, 9, 14, 7, 30), "minute", "7 giờ rưỡi sáng nay"),
        ("2 giờ chiều hôm qua", vn(2024, 9, 13, 14), "hour", "2 giờ chiều hôm qua"),
        ("khoảng 22h ngày hôm qua", vn(2024, 9, 13, 22), "hour", "22h ngày hôm qua"),
        ("đêm qua lúc 2 giờ", vn(2024, 9, 14, 2), "hour", "đêm qua lúc 2 giờ"),
        ("tối qua khoảng 22h30", vn(2024, 9, 13, 22, 30), "minute", "tối qua khoảng 22h30"),
        ("sáng nay", vn(2024, 9, 14, 8), "part_of_day", "sáng nay"),
        ("rạng sáng nay", vn(2024, 9, 14, 5), "part_of_day", "rạng sáng nay"),
        ("tối qua", vn(2024, 9, 13, 20), "part_of_day", "tối qua"),
        ("đêm qua", vn(2024, 9, 13, 23), "part_of_day", "đêm qua"),
        ("sáng hôm qua", vn(2024, 9, 13, 8), "part_of_day", "sáng hôm qua"),
        ("chiều hôm kia", vn(2024, 9, 12, 15), "part_of_day", "chiều hôm kia"),
        ("vào buổi sáng ngày 12/9/2024", vn(2024, 9, 12, 8), "part_of_day", "buổi sáng ngày 12/9/2024"),
        ("tối 12/9", vn(2024, 9, 12, 20), "part_of_day", "tối 12/9"),
        ("hôm qua", vn(2024, 9, 13), "day", "hôm qua"),
        ("hôm kia", vn(2024, 9, 12), "day", "hôm kia"),
        ("hôm nay", vn(2024, 9, 14), "day", "hôm nay"),
        ("ngày hôm qua", vn(2024, 9, 13), "day", "ngày hôm qua"),
        ("3 ngày trước", vn(2024, 9, 11), "day", "3 ngày trước"),
        ("cách đây 2 hôm", vn(2024, 9, 12), "day", "cách đây 2 hôm"),
        ("ngày 21 tháng 9 năm 2022", vn(2022, 9, 21), "day", "ngày 21 tháng 9 năm 2022"),
        ("21 tháng 9", vn(2023, 9, 21), "day", "21 tháng 9"),
        ("21/9/2022", vn(2022, 9, 21), "day", "21/9/2022"),
        ("21-9-2022", vn(2022, 9, 21), "day", "21-9-2022"),
        ("21.09.2022", vn(2022, 9, 21), "day", "21.09.2022"),
        ("12/9/24", vn(2024, 9, 12), "day", "12/9/24"),
        ("21/9", vn(2023, 9, 21), "day", "21/9"),
        ("12/9", vn(2024, 9, 12), "day", "12/9"),
        ("14/9", vn(2024, 9, 14), "day", "14/9"),
        ("29/2", vn(2024, 2, 29), "day", "29/2"),
        ("thứ 2 tuần trước", vn(2024, 9, 2), "day", "thứ 2 tuần trước"),
        ("thứ năm", vn(2024, 9, 12), "day", "thứ năm"),
        ("chủ nhật", vn(2024, 9, 8), "day", "chủ nhật"),
        ("tuần trước", vn(2024, 9, 2), "week", "tuần trước"),
        ("tháng trước", vn(2024, 8, 1), "month", "tháng trước"),
        ("tháng 8/2024", vn(2024, 8, 1), "month", "tháng 8/2024"),
        ("tháng 10", vn(2023, 10, 1), "month", "tháng 10"),
        ("2024-09-12T14:30", vn(2024, 9, 12, 14, 30), "minute", "2024-09-12T14:30"),
        ("2024-09-12 14:30:00", vn(2024, 9, 12, 14, 30), "minute", "2024-09-12 14:30:00"),
        ("2024-09-12T07:30:00Z", vn(2024, 9, 12, 14, 30), "minute", "2024-09-12T07:30:00Z"),
        ("2024-09-12", vn(2024, 9, 12), "day", "2024-09-12"),
        ("sang nay", vn(2024, 9, 14, 8), "part_of_day", "sang nay"),
        ("toi qua", vn(2024, 9, 13, 20), "part_of_day", "toi qua"),
        ("hom qua", vn(2024, 9, 13), "day", "hom qua"),
        ("dem qua luc 1 gio", vn(2024, 9, 14, 1), "hour", "dem qua luc 1 gio"),
        ("ngay 12/9/2024", vn(2024, 9, 12), "day", "ngay 12/9/2024"),
        (
            "luc 14 gio 30 phut ngay 12/9/2024",
            vn(2024, 9, 12, 14, 30),
            "minute",
            "14 gio 30 phut ngay 12/9/2024",
        ),
        ("SÁNG NAY", vn(2024, 9, 14, 8), "part_of_day", "SÁNG NAY"),
        ("Vào lúc 22h ngày 10/9/2024, tại ngã tư", vn(2024, 9, 10, 22), "hour", "22h ngày 10/9/2024"),
    ],
)
def test_parse_incident_time(text: str, value: datetime, precision: str, matched: str) -> None:
    assert parse_incident_time(text, RECEIVED) == TimeResult(value, precision, matched, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("trưa nay", vn(2024, 9, 14, 12), "part_of_day"),
        ("chiều nay", vn(2024, 9, 14, 15), "part_of_day"),
        ("tối nay", vn(2024, 9, 14, 20), "part_of_day"),
        ("20/9/2024", vn(2024, 9, 20), "day"),
        ("ngày mai", vn(2024, 9, 15), "day"),
        ("14h ngày 14/9/2024", vn(2024, 9, 14, 14), "hour"),
    ],
)
def test_future_is_returned_but_flagged(text: str, value: datetime, precision: str) -> None:
    result = parse_incident_time(text, RECEIVED)
    assert result is not None
    assert (result.value, result.precision, result.in_future) == (value, precision, True)


@pytest.mark.parametrize(
    ("text", "value", "matched"),
    [
        ("Đèn đường không sáng đã ba đêm nay rồi.", vn(2024, 9, 11, 23), "ba đêm nay"),
        ("Đã 2 tối nay hàng xóm hát karaoke quá 23h.", vn(2024, 9, 12, 20), "2 tối nay"),
        ("hai đêm nay", vn(2024, 9, 12, 23), "hai đêm nay"),
    ],
)
def test_counted_nights_reach_back_and_are_not_tonight(text: str, value: datetime, matched: str) -> None:
    """ "Ba đêm nay" is "these three nights": it began three nights ago; it is not tonight, in the future."""
    assert find_incident_time(text, RECEIVED) == TimeResult(value, "part_of_day", matched, False)


def test_a_vague_count_of_nights_is_no_moment() -> None:
    assert find_incident_time("Mấy đêm nay không ngủ được vì tiếng ồn.", RECEIVED) is None
    assert find_incident_time("Tối nay sẽ có pháo hoa.", RECEIVED) == TimeResult(
        vn(2024, 9, 14, 20), "part_of_day", "Tối nay", True
    )


def test_small_tolerance_is_not_future() -> None:
    result = parse_incident_time("10h10", RECEIVED)
    assert result is not None
    assert (result.value, result.in_future) == (vn(2024, 9, 14, 10, 10), False)


def test_received_at_in_another_timezone_is_taken_in_vietnam() -> None:
    received = datetime(2024, 9, 13, 20, 0, tzinfo=UTC)  # 03:00 on 14 September in Vietnam
    result = parse_incident_time("hôm qua", received)
    assert result is not None
    assert result.value == vn(2024, 9, 13)
    assert result.value.tzinfo == VN


def test_year_of_day_month_comes_from_received_at() -> None:
    received = datetime(2025, 1, 3, 9, 0, tzinfo=VN)
    result = parse_incident_time("30/12", received)
    assert result is not None
    assert result.value == vn(2024, 12, 30)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "không nhớ",
        "Tôi tên An",
        "tôi qua nhà hàng xóm",
        "sáng",
        "14h ngày 31/2/2024",
        "25h",
        "14h75",
        "32/1/2024",
        "1.500.000 đồng",
        "thứ tự ưu tiên",
        "diện tích 14ha",
    ],
)
def test_not_a_time(text: str) -> None:
    assert parse_incident_time(text, RECEIVED) is None


@pytest.mark.parametrize(
    ("text", "value", "matched"),
    [
        (
            "Căn cứ Quyết định số 18/2022/QĐ-UBND ngày 21/9/2022, tối qua khu phố bị mất điện",
            vn(2024, 9, 13, 20),
            "tối qua",
        ),
        (
            "Hà Nội, ngày 14 tháng 9 năm 2024\nKính gửi UBND phường. Sáng ngày 10/9/2024 xe tải đổ rác.",
            vn(2024, 9, 10, 8),
            "Sáng ngày 10/9/2024",
        ),
        ("Nhà số 12/3 ngõ 45 bị ngập từ 14h hôm qua", vn(2024, 9, 13, 14), "14h hôm qua"),
        (
            "Theo Công văn 123/UBND-VP ngày 5/9/2024 thì vào 8h30 ngày 11/9 có thanh tra",
            vn(2024, 9, 11, 8, 30),
            "8h30 ngày 11/9",
        ),
        ("Ngày 21-9, đường bị đào", vn(2023, 9, 21), "Ngày 21-9"),
    ],
)
def test_find_incident_time_in_free_text(text: str, value: datetime, matched: str) -> None:
    result = find_incident_time(text, RECEIVED)
    assert result is not None
    assert (result.value, result.matched) == (value, matched)


def test_find_falls_back_to_a_document_date_when_nothing_else() -> None:
    result = find_incident_time("Theo Quyết định số 18/2022/QĐ-UBND ngày 21/9/2022", RECEIVED)
    assert result is not None
    assert result.value == vn(2022, 9, 21)


@pytest.mark.parametrize(
    "text",
    [
        "Nhà số 12/3 ngõ 45 bị ngập",
        "Tỷ số 2-1",
        "Tôi qua phường hỏi nhưng không ai trả lời",
        "Liên hệ 0912345678",
    ],
)
def test_find_ignores_numbers_that_are_not_dates(text: str) -> None:
    assert find_incident_time(text, RECEIVED) is None


@settings(max_examples=300, deadline=None)
@given(st.text(), st.datetimes(timezones=st.just(UTC)))
def test_never_raises_on_arbitrary_text(text: str, received: datetime) -> None:
    for function in (parse_incident_time, find_incident_time):
        result = function(text, received)
        assert result is None or result.value.tzinfo == VN


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 /-.:hgiờngàytháng sáng tối qua hôm nay kém rưỡi", max_size=50))
def test_never_raises_on_time_like_soup(text: str) -> None:
    parse_incident_time(text, RECEIVED)
    find_incident_time(text, RECEIVED)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7 giờ sáng nay", vn(2024, 9, 13, 7)),
        ("sáng nay", vn(2024, 9, 13, 8)),
        ("tối nay", vn(2024, 9, 13, 20)),
        ("22h tối hôm nay", vn(2024, 9, 13, 22)),
        ("0h30 đêm nay", vn(2024, 9, 14, 0, 30)),
    ],
)
def test_in_the_small_hours_today_is_the_day_that_is_ending(text: str, value: datetime) -> None:
    """Written at 01:10, "tối nay" is the evening just past (people's day ends when they sleep), not one
    to come that the citizen would be asked about again."""
    result = parse_incident_time(text, datetime(2024, 9, 14, 1, 10, tzinfo=VN))
    assert result is not None
    assert (result.value, result.in_future) == (value, False)


def test_in_the_small_hours_tomorrow_and_a_day_later_in_the_morning_stay_ahead() -> None:
    early = datetime(2024, 9, 14, 1, 10, tzinfo=VN)
    assert parse_incident_time("ngày mai", early).in_future  # type: ignore[union-attr]
    assert parse_incident_time("sáng nay", datetime(2024, 9, 14, 5, 0, tzinfo=VN)).in_future is False  # type: ignore[union-attr]
    later = parse_incident_time("tối nay", datetime(2024, 9, 14, 6, 0, tzinfo=VN))
    assert later is not None and (later.value, later.in_future) == (vn(2024, 9, 14, 20), True)
