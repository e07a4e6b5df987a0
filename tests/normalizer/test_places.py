"""Places: addresses old and new, with and without diacritics, across provinces.

Runs fully offline: ``normalizer.fields.places`` reads its own JSON built from the vietnamadminunits
data and never imports that package (whose converter calls an online geocoder).
"""

from __future__ import annotations

import pytest

from normalizer.fields.places import find_place, fold, is_in_jurisdiction, match_place
from pakn.records import PlaceMatch

KH, HN, HCM, DN = "56", "01", "79", "48"

# (address field, province_code, commune_code, old address?)
MATCH_CASES = [
    ("phường Lộc Thọ, TP Nha Trang", KH, "22366", True),
    ("P. Lộc Thọ, TP. Nha Trang, Khánh Hòa", KH, "22366", True),
    ("phuong Loc Tho, tp Nha Trang", KH, "22366", True),
    ("12 Trần Phú, P.Lộc Thọ, Tp.Nha Trang", KH, "22366", True),
    ("Lộc Thọ, Nha Trang", KH, "22366", True),
    ("Phường Nha Trang, tỉnh Khánh Hòa", KH, "22366", False),
    ("Phường Bắc Nha Trang, Khánh Hòa", KH, "22333", False),
    ("xã Vĩnh Lương, TP Nha Trang", KH, "22333", True),
    ("X. Vĩnh Lương, Nha Trang", KH, "22333", True),
    ("Phường Xương Huân, thành phố Nha Trang, tỉnh Khánh Hòa", KH, "22366", True),
    ("phường Vĩnh Hải, Nha Trang", KH, "22333", True),
    ("Phường Cam Nghĩa, TP Cam Ranh", KH, "22411", True),
    ("thị trấn Cam Đức, huyện Cam Lâm", KH, "22453", True),
    ("TT Diên Khánh, H. Diên Khánh", KH, "22651", True),
    ("xã Ninh Thân, thị xã Ninh Hòa", KH, "22558", True),
    ("X. Ninh Thân, TX Ninh Hòa, Khánh Hòa", KH, "22558", True),
    ("thôn Tân Phú, xã Diên Phú, huyện Diên Khánh", KH, "22657", True),
    ("Phường Đạo Long, TP Phan Rang - Tháp Chàm, Ninh Thuận", KH, "22759", True),
    ("đặc khu Trường Sa", KH, "22736", False),
    ("Ninh Thuận", KH, None, True),
    ("tỉnh Ninh Thuận", KH, None, True),
    ("TP Phan Rang-Tháp Chàm", KH, None, True),
    ("Khánh Hòa", KH, None, False),
    ("khanh hoa", KH, None, False),
    ("Tỉnh Khánh Hoà", KH, None, False),
    ("Nha Trang", KH, None, True),
    ("huyện Trường Sa, Khánh Hòa", KH, None, True),
    ("Hà Nội", HN, None, False),
    ("TP Hà Nội", HN, None, False),
    ("Hoàn Kiếm, Hà Nội", HN, "00070", False),
    ("phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội", HN, "00070", True),
    ("P. Dịch Vọng, Q. Cầu Giấy, HN", HN, "00166", True),
    ("Q.1, TP.HCM", HCM, None, True),
    ("Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", HCM, "26740", True),
    ("phuong Ben Nghe, quan 1, tphcm", HCM, "26740", True),
    ("Phường 12, Quận 10, TP HCM", HCM, "27163", True),
    ("Phường Sài Gòn, TP Hồ Chí Minh", HCM, "26740", False),
    ("TP Thủ Đức", HCM, None, True),
    ("Sài Gòn", HCM, None, False),
    ("Bình Dương", HCM, None, True),
    ("Vũng Tàu", HCM, None, True),
    ("Huyện Côn Đảo, Bà Rịa - Vũng Tàu", HCM, "26732", True),
    ("Đà Nẵng", DN, None, False),
    ("phường Hải Châu, Đà Nẵng", DN, "20242", False),
    ("Phường Thạch Thang, quận Hải Châu, TP Đà Nẵng", DN, "20242", True),
    ("Quảng Nam", DN, None, True),
    ("TP Hội An, Quảng Nam", DN, None, True),
    ("Phú Yên", "66", None, True),
    ("TP Tuy Hòa, Phú Yên", "66", None, True),
    ("Cần Thơ", "92", None, False),
    ("Tỉnh Hậu Giang", "92", None, True),
    ("Đắk Lắk", "66", None, False),
    ("Daklak", "66", None, False),
    ("Thừa Thiên Huế", "46", None, False),
    ("TP Huế", "46", None, False),
]


@pytest.mark.parametrize(("address", "province_code", "commune_code", "old"), MATCH_CASES)
def test_match_place(address: str, province_code: str, commune_code: str | None, old: bool) -> None:
    m = match_place(address)
    assert m is not None
    assert m.text == address.strip()
    assert m.province_code == province_code
    assert m.commune_code == commune_code
    assert (m.old_text is not None) is old
    if commune_code:
        assert m.commune is not None and m.province is not None


@pytest.mark.parametrize("address", ["", "   ", "không rõ", "12 đường Lê Lợi", "gần nhà tôi"])
def test_match_place_unknown(address: str) -> None:
    assert match_place(address) is None


def test_old_address_keeps_text_and_names_old_units() -> None:
    m = match_place("phường Lộc Thọ, TP Nha Trang")
    assert m == PlaceMatch(
        text="phường Lộc Thọ, TP Nha Trang",
        province="Tỉnh Khánh Hòa",
        province_code="56",
        commune="Phường Nha Trang",
        commune_code="22366",
        old_text="Phường Lộc Thọ, Thành phố Nha Trang, Tỉnh Khánh Hòa",
    )


# (free text, place as written, province_code, commune_code)
FIND_CASES = [
    (
        "Tôi phản ánh tình trạng ngập úng tại đường Trần Phú, phường Lộc Thọ, TP Nha Trang kéo dài.",
        "đường Trần Phú, phường Lộc Thọ, TP Nha Trang",
        KH,
        "22366",
    ),
    ("Rác thải ở xã Vĩnh Lương không được thu gom", "xã Vĩnh Lương", KH, "22333"),
    ("Khu vực chợ Đầm bị ùn tắc vào buổi sáng", "chợ Đầm", None, None),
    ("đèn đường ở khu vực phuong Loc Tho khong sang", "phuong Loc Tho", KH, "22366"),
    ("Tôi sống ở Đà Nẵng, xin hỏi thủ tục", "Đà Nẵng", DN, None),
    ("Công an huyện Cam Lâm chưa xử lý", "huyện Cam Lâm", KH, None),
    ("Cây đổ trên đường 2/4, phường Vĩnh Phước, Nha Trang", "đường 2/4, phường Vĩnh Phước, Nha Trang", KH, "22333"),
    (
        "Tại số 5 hẻm 12 Nguyễn Thiện Thuật, P. Tân Lập, TP. Nha Trang có quán karaoke",
        "số 5 hẻm 12 Nguyễn Thiện Thuật, P. Tân Lập, TP. Nha Trang",
        KH,
        "22366",
    ),
    (
        "Gia đình tôi ở thôn Phú Ân, xã Ninh Hưng, thị xã Ninh Hòa",
        "thôn Phú Ân, xã Ninh Hưng, thị xã Ninh Hòa",
        KH,
        "22597",
    ),
    ("Tôi ở Q.3, TP.HCM nhưng có nhà ở Khánh Hòa", "Q.3, TP.HCM", HCM, None),
    (
        "Đề nghị kiểm tra công trình xây dựng tại phường Nha Trang, tỉnh Khánh Hòa",
        "phường Nha Trang, tỉnh Khánh Hòa",
        KH,
        "22366",
    ),
    ("Hôm qua tôi đi qua cầu Trần Phú thấy đèn không sáng", "cầu Trần Phú", None, None),
    ("tai duong Hung Vuong, phuong Loc Tho co nhieu o ga", "duong Hung Vuong, phuong Loc Tho", KH, "22366"),
    (
        "Hàng xóm xây nhà lấn sang đất nhà tôi ở xã Cam Hải Tây, huyện Cam Lâm",
        "xã Cam Hải Tây, huyện Cam Lâm",
        KH,
        "22453",
    ),
    ("Đường ở khu vực Bình Thạnh, TP. Hồ Chí Minh bị ngập", "Bình Thạnh, TP. Hồ Chí Minh", HCM, None),
    (
        "Nước thải tràn ra phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội",
        "phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội",
        HN,
        "00070",
    ),
    ("Ở phường Thạch Thang, quận Hải Châu rác không được thu gom", "phường Thạch Thang, quận Hải Châu", DN, "20242"),
    (
        "Xin phản ánh việc lấn chiếm vỉa hè tại TP Phan Rang - Tháp Chàm, Ninh Thuận",
        "TP Phan Rang - Tháp Chàm, Ninh Thuận",
        KH,
        None,
    ),
]


@pytest.mark.parametrize(("text", "place", "province_code", "commune_code"), FIND_CASES)
def test_find_place(text: str, place: str, province_code: str | None, commune_code: str | None) -> None:
    m = find_place(text)
    assert m is not None
    assert m.text == place
    assert m.province_code == province_code
    assert m.commune_code == commune_code


@pytest.mark.parametrize(
    "text",
    [
        "nhà tôi bị mất nước từ 14h30 hôm qua",
        "Tôi xin cho hỏi về chế độ",
        "Đề nghị cơ quan chức năng xử lý sớm",
        "xa qua nen khong di duoc",  # "xa" = far, not "xã"
    ],
)
def test_find_place_none(text: str) -> None:
    assert find_place(text) is None


@pytest.mark.parametrize(
    ("address", "province_code", "expected"),
    [
        ("phường Lộc Thọ, TP Nha Trang", "56", True),
        ("Ninh Thuận", "56", True),
        ("Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", "56", False),
        ("Hà Nội", "1", True),  # codes are zero-padded
        ("Phường Đạo Long, TP Phan Rang - Tháp Chàm", "58", True),  # old Ninh Thuận code = Khánh Hòa now
    ],
)
def test_is_in_jurisdiction(address: str, province_code: str, expected: bool) -> None:
    assert is_in_jurisdiction(match_place(address), province_code) is expected


def test_is_in_jurisdiction_unknown() -> None:
    assert is_in_jurisdiction(None, "56") is None
    assert is_in_jurisdiction(PlaceMatch(text="chợ Đầm"), "56") is None
    assert is_in_jurisdiction(match_place("Hà Nội"), "00") is None


def test_fold_keeps_length_and_strips_marks() -> None:
    s = "Đường Trần Phú, phường Lộc Thọ, TP Nha Trang – Khánh Hoà"
    assert len(fold(s)) == len(s)
    assert fold(s) == "duong tran phu, phuong loc tho, tp nha trang – khanh hoa"


def test_hint_province_breaks_ties_only() -> None:
    # "xã Tân Lập" exists in many provinces: with no other clue, the gateway's province decides.
    assert match_place("xã Phước Đồng") is not None
    hinted = match_place("xã Phước Đồng", hint_province="56")
    assert hinted is not None and hinted.province_code == "56"
    # an explicit province is never overridden by the hint
    other = match_place("Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", hint_province="56")
    assert other is not None and other.province_code == "79"
