"""E-mail addresses and the submitter's name."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.fields.contacts import find_emails, find_name, normalize_email, normalize_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("an.nguyen@gmail.com", "an.nguyen@gmail.com"),
        ("An.Nguyen@Gmail.COM", "An.Nguyen@gmail.com"),
        ("  x@Y.Com ", "x@y.com"),
        ("mailto:A@B.VN", "A@b.vn"),
        ("<info@so-tttt.khanhhoa.gov.vn>", "info@so-tttt.khanhhoa.gov.vn"),
        ("nguyen_van+pakn@yahoo.com.vn", "nguyen_van+pakn@yahoo.com.vn"),
        ("a@@b.vn", None),
        ("a..b@c.vn", None),
        (".a@c.vn", None),
        ("a@b", None),
        ("a@-b.vn", None),
        ("a b@c.vn", None),
        ("nguyễn@gmail.com", None),
        ("", None),
        ("không có", None),
        ("a@b.vn, c@d.vn", None),
    ],
)
def test_normalize_email(text: str, expected: str | None) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email: An.Nguyen@Gmail.COM, hoặc an.nguyen@gmail.com", ("An.Nguyen@gmail.com",)),
        ("liên hệ <info@so-tttt.khanhhoa.gov.vn>.", ("info@so-tttt.khanhhoa.gov.vn",)),
        (
            "Gửi từ tran.binh@yahoo.com.vn; cc: le.c@hanoi.gov.vn",
            ("tran.binh@yahoo.com.vn", "le.c@hanoi.gov.vn"),
        ),
        ("mail:abc@gmail.com.", ("abc@gmail.com",)),
        ("không có email, chỉ có sđt 0912345678", ()),
        ("abc@localhost và @gmail.com", ()),
    ],
)
def test_find_emails(text: str, expected: tuple[str, ...]) -> None:
    assert find_emails(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tôi tên là Nguyễn Văn An, trú tại phường Lộc Thọ", "Nguyễn Văn An"),
        ("Tôi tên Lê Thị Hoa, sinh năm 1985", "Lê Thị Hoa"),
        ("Tên tôi là Phạm Minh Nam. Tôi phản ánh việc…", "Phạm Minh Nam"),
        ("Họ và tên: Trần Thị Bình\nSĐT: 0912345678", "Trần Thị Bình"),
        ("Họ tên: lê văn nam", "Lê Văn Nam"),
        ("HỌ VÀ TÊN: NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("Ho va ten: Nguyen Van Nam - SDT 0912345678", "Nguyen Van Nam"),
        ("Người phản ánh: Ông Phạm Duy Lộc", "Phạm Duy Lộc"),
        ("Người kiến nghị: bà Hoàng Thị Mai, địa chỉ: thôn 3", "Hoàng Thị Mai"),
        ("Người gửi: Đặng Quốc Việt", "Đặng Quốc Việt"),
        ("Kính gửi UBND.\nNội dung phản ánh...\nTrân trọng,\nLê Văn C", "Lê Văn C"),
        ("Xin cảm ơn!\n\nNguyễn Thị Hoa", "Nguyễn Thị Hoa"),
        ("Trân trọng cảm ơn.\nVõ Thành Đạt\n0912345678", "Võ Thành Đạt"),
        ("toi ten la nguyen van nam sinh nam 1980", "Nguyen Van Nam"),
        ("mình tên là trần thu hà, nhà ở ngõ 5", "Trần Thu Hà"),
        ("Tôi là Hoàng Minh Tuấn, sinh năm 1980", "Hoàng Minh Tuấn"),
        ("tên tôi là H'Hen Niê", "H'Hen Niê"),
        ("Tên: Ksor Y Ben", "Ksor Y Ben"),
        ("Họ và tên:   nguyễn   thị   thu  ", "Nguyễn Thị Thu"),
    ],
)
def test_find_name(text: str, expected: str) -> None:
    assert find_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "không có tên",
        "Tôi là người dân phường Vĩnh Hải",
        "tôi là người dân",
        "Trân trọng,\nPhòng Kinh tế",
        "Cảm ơn anh chị đã hỗ trợ",
        "Họ và tên: 0912345678",
        "Đường Lê Lợi bị ngập nặng",
    ],
)
def test_find_name_none(text: str) -> None:
    assert find_name(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  nguyễn   văn AN ", "Nguyễn Văn An"),
        ("ĐẶNG THỊ ÁNH", "Đặng Thị Ánh"),
        ("h'hen niê", "H'Hen Niê"),
        ("y-ben", "Y-Ben"),
        ("Nguye\u0302\u0303n Va\u0306n A", "Nguyễn Văn A"),
        ("ỷ lan", "Ỷ Lan"),
        ("đỗ\tthị\nhương", "Đỗ Thị Hương"),
        ("", ""),
    ],
)
def test_normalize_name(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(find_emails(text), tuple)
    email = normalize_email(text)
    assert email is None or "@" in email
    name = find_name(text)
    assert name is None or name == normalize_name(name)
    assert isinstance(normalize_name(text), str)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="Tôi tên là Họ và: Nguyễn Văn An\nTrân trọng,@.gmailcom", max_size=80))
def test_never_raises_on_name_like_soup(text: str) -> None:
    find_name(text)
    find_emails(text)
