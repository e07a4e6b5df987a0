"""Field, urgency and kind of a submission, driven by config/data/categories.toml and kinds.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from normalizer.fields.classify import (
    CategoryTable,
    KindTable,
    canon,
    classify,
    kind_of_submission,
    load_categories,
    load_kinds,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "normalizer" / "classification_corpus.jsonl"


@pytest.fixture(scope="module")
def categories() -> CategoryTable:
    return load_categories(ROOT / "config" / "data" / "categories.toml")


@pytest.fixture(scope="module")
def kinds() -> KindTable:
    return load_kinds(ROOT / "config" / "data" / "kinds.toml")


def test_table_has_the_provincial_fields(categories: CategoryTable) -> None:
    names = [c.name for c in categories.categories]
    assert names == [
        "Môi trường – Đô thị",
        "An ninh – Trật tự",
        "Tài nguyên và Môi trường",
        "Giao thông vận tải",
        "Thông tin và Truyền thông",
        "Văn hóa và Thể thao",
        "Xây dựng",
        "Tư pháp",
        "Công Thương",
        "Lao động – Thương binh và Xã hội",
        "Tài chính",
        "Du lịch",
        "Kế hoạch và Đầu tư",
        "Giáo dục và Đào tạo",
        "Y tế",
        "Lĩnh vực khác",
    ]
    assert len({c.code for c in categories.categories}) == 16
    assert categories.fallback == "linh-vuc-khac"


def test_corpus_accuracy(categories: CategoryTable) -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 80
    right_cat = sum(classify(r["text"], categories).category == r["category"] for r in rows)
    right_urgent = sum(classify(r["text"], categories).urgent == r["urgent"] for r in rows)
    results = [classify(r["text"], categories) for r in rows]
    pairs = zip(results, rows, strict=True)
    both = sum(c.category == r["category"] and c.urgent == r["urgent"] for c, r in pairs)
    print(
        f"\ncorpus: {len(rows)} cases, category {right_cat / len(rows):.1%}, "
        f"urgency {right_urgent / len(rows):.1%}, both {both / len(rows):.1%}"
    )
    assert both / len(rows) >= 0.85


# (text, category, urgent)
CASES = [
    ("Vỡ ống nước trên đường Lê Hồng Phong gây mất nước cả khu phố", "moi-truong-do-thi", True),
    ("vo ong nuoc tren duong Le Hong Phong gay mat nuoc ca khu pho", "moi-truong-do-thi", True),
    ("Cây gãy đổ chắn đường sau bão", "moi-truong-do-thi", True),
    ("cay gay do chan duong sau bao", "moi-truong-do-thi", True),
    ("Hẻm 15 bị ngập úng mỗi khi triều cường", "moi-truong-do-thi", True),
    ("Cống bị nghẹt, nước thải tràn lên mặt đường", "moi-truong-do-thi", True),
    ("Đèn đường không sáng cả tuần nay", "moi-truong-do-thi", True),
    ("Xe tải kéo đứt cáp viễn thông vắt ngang đường", "thong-tin-truyen-thong", True),
    ("Rác thải bốc mùi hôi thối", "moi-truong-do-thi", False),
    ("Đường nhiều ổ gà gây tai nạn giao thông", "giao-thong-van-tai", False),
    ("Hàng xóm lấn chiếm đất, đề nghị đo đạc lại ranh giới thửa đất", "tai-nguyen-moi-truong", False),
    ("Nhà bên cạnh xây dựng không phép", "xay-dung", False),
    ("Công ty nợ lương công nhân", "lao-dong-thuong-binh-xa-hoi", False),
    ("Trạm y tế thiếu thuốc", "y-te", False),
    ("Giáo viên ép học sinh học thêm", "giao-duc-dao-tao", False),
    ("Nhà hàng chặt chém du khách", "du-lich", False),
    ("Cúp điện liên tục không báo trước", "cong-thuong", False),
    ("Đăng ký kết hôn phải chờ lâu", "tu-phap", False),
    ("Nhóm thanh niên đánh nhau gây mất trật tự", "an-ninh-trat-tu", False),
    ("Chi cục thuế tính sai tiền thuế", "tai-chinh", False),
    ("Dự án treo, chủ đầu tư chậm tiến độ", "ke-hoach-dau-tu", False),
    ("Nhà văn hóa xuống cấp, không có sân chơi", "van-hoa-the-thao", False),
    ("Xin chào, cảm ơn", "linh-vuc-khac", False),
    ("", "linh-vuc-khac", False),
]


@pytest.mark.parametrize(("text", "category", "urgent"), CASES)
def test_classify(categories: CategoryTable, text: str, category: str, urgent: bool) -> None:
    c = classify(text, categories)
    assert (c.category, c.urgent) == (category, urgent)
    assert c.due_working_days == (1 if urgent else 10)
    assert c.name == categories.by_code(category).name
    assert (c.score > 0) is bool(c.matched)


def test_matched_words_are_as_configured(categories: CategoryTable) -> None:
    c = classify("nha toi bi mat nuoc, cong bi tac cong", categories)
    assert "mất nước" in c.matched
    assert c.urgent


def test_words_do_not_cross_punctuation(categories: CategoryTable) -> None:
    c = classify("Nắp hố ga bị mất, nước thải đọng lại.", categories)
    assert "mất nước" not in c.matched
    assert not c.urgent


def test_marked_text_is_matched_with_its_marks(categories: CategoryTable) -> None:
    # "mặt nước" (water surface) is not "mất nước" (water cut) when the citizen typed diacritics
    assert not classify("Rác nổi trên mặt nước hồ điều hòa", categories).urgent


def test_tone_placement_is_uniform() -> None:
    expected = "khánh hòa , thủy lợi , quý"
    assert canon("Khánh Hoà, thuỷ lợi, quý") == canon("Khánh Hòa, thủy lợi, quý") == expected


def test_duplicate_phrase_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text(
        '[defaults]\nfallback = "a"\n[[category]]\ncode = "a"\nname = "A"\nwords = ["hoà giải"]\n'
        '[[category]]\ncode = "b"\nname = "B"\nwords = ["hòa giải"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="listed under"):
        load_categories(p)


# (text, kind, confidential)
KIND_CASES = [
    ("Tôi làm đơn tố cáo ông Nguyễn Văn A, cán bộ địa chính, nhận tiền của dân", "to_cao", True),
    ("Nay tôi tố cáo hành vi lấn chiếm đất công của hộ ông B", "to_cao", True),
    ("Tôi xin tố giác một điểm mua bán ma túy trong hẻm 12", "to_cao", True),
    ("toi to cao chu quan karaoke dung tung danh bac", "to_cao", True),
    ("Tôi khiếu nại quyết định thu hồi đất số 123/QĐ-UBND", "khieu_nai", False),
    ("Gia đình tôi khiếu nại về mức bồi thường không thỏa đáng", "khieu_nai", False),
    ("toi khieu nai ve viec phat nguoi sai", "khieu_nai", False),
    ("Tôi khiếu nại và tố cáo cán bộ xã làm sai", "to_cao", True),
    ("Theo Luật Khiếu nại 2011, đề nghị cho biết thời hạn trả lời", "phan_anh_kien_nghi", False),
    ("Căn cứ Điều 8 Luật Tố cáo, tôi hỏi về quyền của người dân", "phan_anh_kien_nghi", False),
    ("Xin hỏi thủ tục khiếu nại như thế nào", "phan_anh_kien_nghi", False),
    ("Đây không phải tố cáo, chỉ là phản ánh về đèn đường", "phan_anh_kien_nghi", False),
    ("Khiếu nại là gì và gửi ở đâu?", "phan_anh_kien_nghi", False),
    ("Đèn đường không sáng, đề nghị sửa chữa", "phan_anh_kien_nghi", False),
    ("", "phan_anh_kien_nghi", False),
]


@pytest.mark.parametrize(("text", "kind", "confidential"), KIND_CASES)
def test_kind_of_submission(kinds: KindTable, text: str, kind: str, confidential: bool) -> None:
    d = kind_of_submission(text, kinds)
    assert (d.kind, d.confidential) == (kind, confidential)
    assert bool(d.matched) is (kind != "phan_anh_kien_nghi")
