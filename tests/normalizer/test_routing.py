"""The suggested agency and level (config/data/routing.toml), through the whole normalizer."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.settings import Settings
from normalizer import context_from_settings, normalize
from normalizer.fields.routing import LEVELS, agency_at, coverage, load_routing, route
from pakn.records import Channel, NormalizedCase, PlaceMatch, Routing, Submission, SubmissionFields, Verdict

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "config" / "data"
CONTEXT = context_from_settings(Settings())
FIELDS = {c.code: c.name for c in CONTEXT.categories.categories}


def test_every_field_has_a_route_at_both_levels(text_report: list[str]) -> None:
    table = CONTEXT.routes
    assert len(FIELDS) == 16
    missing = [(f, level) for f in FIELDS for level in LEVELS if (f, level) not in table.agencies]
    assert missing == []
    share = coverage(table, FIELDS)
    line = f"routing: {len(FIELDS)} fields x {len(LEVELS)} levels, coverage {share:.0%}"
    print("\n" + line)
    text_report.append(line)
    assert share == 1.0
    # Commune rows name the commune; province rows are a department or a province-wide body.
    for field in FIELDS:
        assert "{commune}" in table.agencies[(field, "commune")], field
        assert "{commune}" not in table.agencies[(field, "province")], field
    assert table.agencies[("xay-dung", "province")] == "Sở Xây dựng"
    assert table.agencies[("giao-thong-van-tai", "province")] == "Sở Xây dựng"  # merged in 2025
    assert table.agencies[("tai-nguyen-moi-truong", "province")] == "Sở Nông nghiệp và Môi trường"


def test_a_missing_row_fails_at_load_time(tmp_path: Path) -> None:
    text = (DATA / "routing.toml").read_text(encoding="utf-8")
    cut = text.replace('[[route]]\nfield = "y-te"\nlevel = "province"\nagency = "Sở Y tế"\n', "")
    assert cut != text
    (tmp_path / "routing.toml").write_text(cut, encoding="utf-8")
    with pytest.raises(ValueError, match="no route for y-te/province"):
        load_routing(tmp_path / "routing.toml", FIELDS, "linh-vuc-khac")


def test_an_unknown_field_or_level_fails_at_load_time(tmp_path: Path) -> None:
    shutil.copy(DATA / "routing.toml", tmp_path / "routing.toml")
    with (tmp_path / "routing.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[route]]\nfield = "y-te"\nlevel = "district"\nagency = "UBND huyện"\n')
    with pytest.raises(ValueError, match="level 'district'"):
        load_routing(tmp_path / "routing.toml", FIELDS, "linh-vuc-khac")


def case_of(content: str, location: str | None) -> tuple[Verdict, NormalizedCase, Routing]:
    fields = SubmissionFields(content=content, location=location, name="Nguyễn Văn An", phone="0905123456")
    result = normalize(Submission(Channel.API, datetime(2025, 10, 16, 2, tzinfo=UTC), fields), CONTEXT)
    assert result.case.routing is not None  # every case gets a suggestion
    return result.verdict, result.case, result.case.routing


@pytest.mark.parametrize(
    ("content", "location", "agency", "level", "step"),
    [
        # a local incident: the commune where it happens
        (
            "Quán karaoke số 45 hát ồn ào đến 1 giờ sáng không đúng quy định, ảnh hưởng giấc ngủ người dân.",
            "45 Nguyễn Thiện Thuật, phường Nha Trang, Khánh Hòa",
            "UBND phường Nha Trang",
            "commune",
            "default-commune",
        ),
        # an urban-infrastructure incident, even in a field whose department is the default
        (
            "Dây cáp viễn thông bị đứt rơi xuống đường, xe máy đi qua rất nguy hiểm.",
            "hẻm 15 Hoàng Văn Thụ, phường Nha Trang",
            "UBND phường Nha Trang",
            "commune",
            "urgent",
        ),
        # order in the street: the commune's police
        (
            "Nhóm thanh niên tụ tập đua xe, gây rối trật tự trên đường Võ Nguyên Giáp mỗi đêm.",
            "đường Võ Nguyên Giáp, phường Nha Trang",
            "Công an phường Nha Trang",
            "commune",
            "default-commune",
        ),
        # a regulation is changed at the province, wherever the citizen lives
        (
            "Thủ tục cấp lại giấy phép lái xe quá rườm rà, giấy tờ quá nhiều, đề nghị đơn giản hóa.",
            "phường Nha Trang",
            "Sở Xây dựng",
            "province",
            "regulation",
        ),
        # a denunciation: the province determines who is competent
        (
            "Tôi tố cáo cán bộ địa chính xã đòi tiền bồi dưỡng 5 triệu đồng khi đo đạc tách thửa đất.",
            "thôn Tân Xương, xã Cam Lâm",
            "Sở Nông nghiệp và Môi trường",
            "province",
            "kind",
        ),
        # no commune known: the department for the field
        (
            "Bãi rác tự phát bốc mùi hôi thối, ruồi nhặng bu kín, không ai thu gom rác.",
            None,
            "Sở Xây dựng",
            "province",
            "no-commune",
        ),
        # the department's own business: telecom networks
        (
            "Sóng điện thoại của nhà mạng rất yếu, internet chập chờn suốt tuần qua.",
            "phường Nha Trang",
            "Sở Khoa học và Công nghệ",
            "province",
            "default-province",
        ),
    ],
)
def test_suggestion(content: str, location: str | None, agency: str, level: str, step: str) -> None:
    _verdict, _case, routing = case_of(content, location)
    assert (routing.agency, routing.level, routing.step) == (agency, level, step), routing
    assert routing.reason  # said in Vietnamese for staff


def test_the_reason_names_the_commune_and_the_field() -> None:
    verdict, case, routing = case_of(
        "Đèn đường trước nhà số 12 Trần Phú không sáng ba đêm nay, rất nguy hiểm cho người đi đường.",
        "12 Trần Phú, phường Nha Trang, Khánh Hòa",
    )
    assert verdict is Verdict.ACCEPTED and case.urgency == "urgent"
    assert routing.agency == "UBND phường Nha Trang"
    assert routing.reason == (
        "Sự cố hạ tầng đô thị tại phường Nha Trang, xử lý trong 1 ngày làm việc: chính quyền cấp xã nơi xảy ra sự cố."
    )


def test_agencies_named_after_the_province() -> None:
    place = PlaceMatch("xã Cam Lâm", "Tỉnh Khánh Hòa", "56", None, None)  # the commune was not matched
    routing = route(
        CONTEXT.routes, "an-ninh-trat-tu", place, kind="phan_anh_kien_nghi", urgent=False, subject=None, province="-"
    )
    assert (routing.agency, routing.level, routing.step) == ("Công an tỉnh Khánh Hòa", "province", "no-commune")
    unknown_field = route(
        CONTEXT.routes, None, None, kind="phan_anh_kien_nghi", urgent=False, subject=None, province="Tỉnh Khánh Hòa"
    )
    assert unknown_field.agency == "Văn phòng UBND tỉnh Khánh Hòa"  # the fallback field's department


def test_the_agency_a_person_chooses_is_named_as_the_suggestion_names_it() -> None:
    ward = PlaceMatch("số 5 Trần Phú", "Tỉnh Khánh Hòa", "56", "Phường Nha Trang", "22333")
    table, province = CONTEXT.routes, CONTEXT.province_name
    suggested = route(table, "xay-dung", ward, kind="phan_anh_kien_nghi", urgent=False, subject=None, province=province)
    assert agency_at(table, "xay-dung", ward, suggested.level, province) == suggested.agency
    assert agency_at(table, "xay-dung", ward, "province", province) == "Sở Xây dựng"
    # No commune to name: no commune-level agency to choose; an unknown level names no one either.
    assert agency_at(table, "xay-dung", PlaceMatch("Khánh Hòa", "Tỉnh Khánh Hòa", "56"), "commune", province) == ""
    assert agency_at(table, "xay-dung", ward, "district", province) == ""
