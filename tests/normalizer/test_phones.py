"""Phone numbers: one field normalized, numbers found in free text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.fields.phones import PhoneResult, find_phones, normalize_phone


@pytest.mark.parametrize(
    ("text", "e164", "kind"),
    [
        ("0912345678", "+84912345678", "mobile"),
        ("0912.345.678", "+84912345678", "mobile"),
        ("0912 345 678", "+84912345678", "mobile"),
        ("0912-345-678", "+84912345678", "mobile"),
        ("+84 912 345 678", "+84912345678", "mobile"),
        ("+84912345678", "+84912345678", "mobile"),
        ("84912345678", "+84912345678", "mobile"),
        ("0084 912 345 678", "+84912345678", "mobile"),
        ("(+84) 91 234 5678", "+84912345678", "mobile"),
        ("  0987654321  ", "+84987654321", "mobile"),
        ("0321234567", "+84321234567", "mobile"),
        ("0561234567", "+84561234567", "mobile"),
        ("0705123456", "+84705123456", "mobile"),
        ("0888123456", "+84888123456", "mobile"),
        ("tel:+84912345678", "+84912345678", "mobile"),
        ("02838123456", "+842838123456", "landline"),
        ("(028) 3812 3456", "+842838123456", "landline"),
        ("024 3825 1234", "+842438251234", "landline"),
        ("+84 24 3825 1234", "+842438251234", "landline"),
        ("0258 3812345", "+842583812345", "landline"),
        ("1800 1091", "+8418001091", "toll_free"),
        ("1800.1091", "+8418001091", "toll_free"),
        ("1900 1234", "+8419001234", "premium_rate"),
        ("1900561234", "+841900561234", "premium_rate"),
    ],
)
def test_valid_numbers(text: str, e164: str, kind: str) -> None:
    result = normalize_phone(text)
    assert result == PhoneResult(text, e164, True, kind, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("01689123456", "+84389123456"),
        ("0168 912 3456", "+84389123456"),
        ("01621234567", "+84321234567"),
        ("01201234567", "+84701234567"),
        ("01211234567", "+84791234567"),
        ("01221234567", "+84771234567"),
        ("01261234567", "+84761234567"),
        ("01281234567", "+84781234567"),
        ("01231234567", "+84831234567"),
        ("01241234567", "+84841234567"),
        ("01251234567", "+84851234567"),
        ("01271234567", "+84811234567"),
        ("01291234567", "+84821234567"),
        ("01861234567", "+84561234567"),
        ("01881234567", "+84581234567"),
        ("01991234567", "+84591234567"),
        ("+84 168 912 3456", "+84389123456"),
        ("841689123456", "+84389123456"),
    ],
)
def test_pre_2018_mobile_prefixes_are_converted(text: str, e164: str) -> None:
    result = normalize_phone(text)
    assert (result.e164, result.valid, result.kind, result.converted_from_old_prefix) == (
        e164,
        True,
        "mobile",
        True,
    )
    assert result.text == text


@pytest.mark.parametrize("text", ["1022", "111", "112", "113", "114", "115", "116", " 113 "])
def test_short_service_numbers(text: str) -> None:
    assert normalize_phone(text) == PhoneResult(text, None, True, "short", False)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "0123456789", "091234567", "09123456789", "0241234567", "12345", "1023", "không có", "+84"],
)
def test_invalid_numbers_are_flagged_and_kept(text: str) -> None:
    result = normalize_phone(text)
    assert result.valid is False
    assert result.kind == "unknown"
    assert result.text == text
    assert result.converted_from_old_prefix is False


def test_very_long_field_is_not_parsed() -> None:
    text = "0912345678 " * 20
    assert normalize_phone(text) == PhoneResult(text, None, False, "unknown", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SĐT: 0912.345.678, cảm ơn", [("0912.345.678", "+84912345678")]),
        (
            "Liên hệ 0912345678 - 0987 654 321",
            [("0912345678", "+84912345678"), ("0987 654 321", "+84987654321")],
        ),
        ("ĐT 0912345678/0987654321", [("0912345678", "+84912345678"), ("0987654321", "+84987654321")]),
        ("sdt0912345678 nhé", [("0912345678", "+84912345678")]),
        ("số cũ 01689123456 vẫn dùng", [("01689123456", "+84389123456")]),
        ("Văn phòng (028) 3812 3456 giờ hành chính", [("(028) 3812 3456", "+842838123456")]),
        ("gọi +84 24 3825 1234.", [("+84 24 3825 1234", "+842438251234")]),
        ("Zalo: 0912345678. Zalo: 0912 345 678", [("0912345678", "+84912345678")]),
        ("tổng đài 1800 1091 miễn phí", [("1800 1091", "+8418001091")]),
        ("Em ở Hà Nội, sđt 0862345678, email a@b.vn", [("0862345678", "+84862345678")]),
    ],
)
def test_find_phones_in_text(text: str, expected: list[tuple[str, str]]) -> None:
    found = find_phones(text)
    assert [(p.text, p.e164) for p in found] == expected
    assert all(p.valid for p in found)


@pytest.mark.parametrize(
    "text",
    [
        "Căn cứ Quyết định số 18/2022/QĐ-UBND ngày 21/9/2022 của UBND tỉnh",
        "Sự việc xảy ra lúc 14h30 ngày 12/09/2024 tại số 12/3 ngõ 45",
        "Tôi bị thu 1.900.000 đồng, sau đó thêm 2.500.000đ",
        "Số tiền 19001234 đ đã chuyển",
        "CCCD số 001090012345 cấp ngày 12.09.2021",
        "Căn cước: 079201001234",
        "STK 0123456789012 Vietcombank",
        "Nhà số 0123 đường 3/2, phường 12",
        "Từ ngày 03/4/2017 đến ngày 30/9/2017 đã tiếp nhận 808/4.302 PAKN",
        "Năm 2024 có 1022 hộ dân và 4.000 công chức",
        "Mã hồ sơ 000.00.12.H34-240912-0001",
        "Diện tích 1500 m2, 20.000 m2",
        "ngày 2024-09-12 lúc 08:00",
        "Số điện thoại của tôi là",
    ],
)
def test_find_phones_ignores_dates_money_ids_house_numbers(text: str) -> None:
    assert find_phones(text) == ()


def test_find_phones_flags_a_short_number_after_a_phone_word() -> None:
    (found,) = find_phones("Điện thoại: 091234567 (thiếu số)")
    assert (found.text, found.valid, found.kind) == ("091234567", False, "unknown")


def test_find_phones_does_not_return_random_invalid_digits() -> None:
    assert find_phones("mã 0123456789 ở đây") == ()
    assert find_phones("Số 0123456789 không phải số máy") == ()


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Gọi tổng đài 1022 để phản ánh", "1022"),
        ("Cổng 1022 là tổng đài thống nhất", "1022"),
        ("tôi đã gọi 113 nhưng không ai nghe", "113"),
        ("goi 115 cap cuu", "115"),
        ("đường dây nóng 111 bảo vệ trẻ em", "111"),
    ],
)
def test_find_phones_short_numbers_need_a_calling_word(text: str, short: str) -> None:
    assert find_phones(text) == (PhoneResult(short, None, True, "short", False),)


def test_find_phones_order_of_appearance() -> None:
    found = find_phones("Gọi 113 hoặc 0912345678")
    assert [p.kind for p in found] == ["short", "mobile"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(normalize_phone(text), PhoneResult)
    assert isinstance(find_phones(text), tuple)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 +.-()/đhgiờ:,", max_size=60))
def test_never_raises_on_digit_soup(text: str) -> None:
    normalize_phone(text)
    for phone in find_phones(text):
        assert phone.text in text or phone.text.strip("()") in text


def _plain_numbers(suffixes_per_prefix: int, seed: int) -> list[str]:
    """Every plain Vietnamese number shape (see ``phones._PLAIN``): "0" and "+84", 9 and 10 digits, every
    first three digits 200-999, with all-0, all-9 and random remaining digits."""
    import random

    rng = random.Random(seed)
    out = []
    for length in (9, 10):
        for head in range(200, 1000):
            rests = ["0" * (length - 3), "9" * (length - 3)]
            rests += ["".join(rng.choice("0123456789") for _ in range(length - 3)) for _ in range(suffixes_per_prefix)]
            for rest in rests:
                out += [f"0{head}{rest}", f"+84{head}{rest}"]
    return out


def test_plain_number_shortcut_gives_what_phonenumbers_gives() -> None:
    """The per-prefix shortcut for plain numbers answers exactly as the library does, on every prefix."""
    from normalizer.fields import phones

    phones._PLAIN.clear()  # filled from other numbers than the ones checked below
    for candidate in _plain_numbers(2, seed=21):
        assert phones._plain_national(candidate) is not None
        assert phones._parse(candidate) == phones._parse_with_library(candidate), candidate
    assert phones._plain_national("01689123456") is None  # 11-digit old mobile: the library
    assert phones._plain_national("0123456789") is None  # 1xx: toll-free, premium, 121x mobiles
    assert phones._plain_national("+8401234567890") is None
