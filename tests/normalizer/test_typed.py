"""Vietnamese typed with the keyboard off (VIQR, Telex, VNI): converted, and nothing else touched.

The corpus (tests/fixtures/normalizer/typed_corpus.jsonl, built by make_typed_corpus.py) holds real
sentences typed in each convention and texts that must stay exactly as they are; accuracy per
category is printed in the terminal summary.  Every string of the existing clean corpora must come
through unconverted.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from config.settings import Settings
from normalizer import context_from_settings, normalize
from normalizer.text.syllables import MARKED, SYLLABLE_CLASS, strip_marks
from normalizer.text.typed import convert_typed
from pakn.records import Channel, Severity, Submission, SubmissionFields, Verdict
from tests.normalizer.typed_encoders import encode, tone_place_free

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "normalizer"
CONTEXT = context_from_settings(Settings(province_code="56"))
RECEIVED = datetime(2024, 9, 16, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

# The issue asks 99% of each convention and no false conversion.  VIQR misses by nature where a "." after
# an open syllable before a capital is unescaped: a dot below read as a period ("chợ Đầm", "Hội nghị Ban")
# or a period before a name read as a dot below ("mưa to. Đường Trần Phú"); RFC 1456 would write "\.".
REQUIRED = {"viqr": 0.99, "telex": 0.99, "vni": 0.99, "keep": 1.0}


def _lines(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def converted(text: str, field: str = "content") -> str:
    typed = convert_typed(text, prose=field == "content")
    return typed.text if typed else text


def test_the_typed_corpus_converts_and_keeps_what_it_must(text_report: list[str]) -> None:
    ok: Counter[str] = Counter()
    total: Counter[str] = Counter()
    failures: list[str] = []
    for case in _lines("typed_corpus.jsonl"):
        category = case["category"]
        got = converted(case["input"], case.get("field", "content"))
        total[category] += 1
        ok[category] += got == case["expected_text"]
        if got != case["expected_text"]:
            failures.append(f"{case['id']}: {got[:120]!r}")
    assert total["viqr"] >= 100 and total["telex"] >= 100 and total["vni"] >= 50 and total["keep"] >= 100
    fields = Counter((case["category"], case["field"]) for case in _lines("typed_corpus.jsonl") if "field" in case)
    assert all(fields[convention, field] >= 10 for convention in REQUIRED for field in FIELDS), fields
    for category, share in REQUIRED.items():
        rate = ok[category] / total[category]
        text_report.append(f"typed/{category}: {ok[category]}/{total[category]} = {rate:.1%} exactly as expected")
        assert rate >= share, (category, [f for f in failures if f.startswith(category)])


FIELDS = {"name": "name", "location": "location", "address": "address", "incident_time": "incident_time"}


def _field_value(case: dict[str, object], field: str) -> object:
    value = case[FIELDS[field]] if field != "incident_time" else case["incident_time_text"]
    return value["text"] if isinstance(value, dict) else value


@pytest.mark.parametrize("category", ["viqr", "telex", "vni", "keep"])
def test_the_corpus_fields_go_through_the_gateway(category: str, text_report: list[str]) -> None:
    """Each per-field case as that field of a submission: converted (with its finding) or left as it is."""
    cases = [c for c in _lines("typed_corpus.jsonl") if c["category"] == category and "field" in c]
    ok = 0
    failures = []
    for case in cases:
        field = case["field"]
        _, findings, record, _ = _normalize(content=CLEAN_CONTENT, **{field: case["input"]})
        typed = [(code, where) for code, where in findings if code.startswith("typed-as-")]
        expected_findings = [] if category == "keep" else [(f"typed-as-{category}", field)]
        # A value left alone may still be tidied by its own rule ("NGUYEN VAN A" -> "Nguyen Van A").
        same = category == "keep" or _field_value(record, field) == case["expected_text"]
        good = same and typed == expected_findings
        ok += good
        if not good:
            failures.append((case["id"], _field_value(record, field), typed))
    text_report.append(f"typed fields/{category}: {ok}/{len(cases)} through the gateway as expected")
    # Accuracy is measured on the whole corpus above; here the gateway must carry the conversions through.
    # Known misses: one word typed with a tone key only ("sangs nay": "xe bus", "Max Lam" must stay), a
    # Telex place with a foreign name ("soos 27 dduwowngf Yersinia": "Soon at Lotte Mart" must stay).
    assert ok / len(cases) >= (1.0 if category == "keep" else 0.95), failures


def test_no_clean_text_of_the_existing_corpora_is_converted() -> None:
    texts = [c["input"] for c in _lines("text_corpus.jsonl") if "input" in c]
    texts += [c["surface"] for c in _lines("text_corpus.jsonl") if "surface" in c]
    texts += [c["text"] for c in _lines("classification_corpus.jsonl")]
    assert len(texts) > 1000
    assert [t for t in texts if convert_typed(t) is not None] == []


@pytest.mark.parametrize(
    ("typed", "expected", "convention"),
    [
        ("Ddu+o+`ng Tra^`n Phu' bi. ngaa.p nu+o+'c", "Đường Trần Phú bị ngập nước", "viqr"),
        ("Dduwowngf Traanf Phus bij ngaapj nuwowcs", "Đường Trần Phú bị ngập nước", "telex"),
        ("D9u7o72ng Tra62n Phu1 bi5 nga65p nu7o71c", "Đường Trần Phú bị ngập nước", "vni"),
        ("nuoc71 nguoi72 khong6 d9i d9uoc75", "nước người không đi được", "vni"),  # modifiers at the end
        ("TOOI LAF NGUWOWIF DAAN", "TÔI LÀ NGƯỜI DÂN", "telex"),
        (
            "Tooi ddax goij 0905123456 vaf guwir max PAKN-2024-000123 qua an.nguyen@example.vn, xem https://abc.vn/x?y=1",
            "Tôi đã gọi 0905123456 và gửi mã PAKN-2024-000123 qua an.nguyen@example.vn, xem https://abc.vn/x?y=1",
            "telex",
        ),
        (
            "Quans bar Heaven treen dduwowngf Bieetj Thuwj mowr nhacj EDM quas to, anh chupj video upload leen FB",
            "Quán bả Heaven trên đường Biệt Thự mở nhạc EDM quá to, anh chụp video upload lên FB",
            "telex",  # "bar" is Telex for "bả": a keystroke cannot tell; the English words stay
        ),
        (
            "Kho^ng co' ai o+? nha` ca? ngu+o+`i da^n\\. Ba.n ddi dda^u\\?",
            "Không có ai ở nhà cả người dân. Bạn đi đâu?",
            "viqr",
        ),
        ("To^i ddi ho.c. Ba.n co' kho?e kho^ng?", "Tôi đi học. Bạn có khỏe không?", "viqr"),
        # RFC 1456 puts the tone right after its vowel: a "." or "?" after a final consonant before a new
        # sentence is punctuation; after an open syllable it is the tone in a name, a period after a
        # lowercase word; the escape always makes it punctuation.
        ("Nguye^~n Thi. Mai, Bo^. No^.i vu..", "Nguyễn Thị Mai, Bộ Nội vụ.", "viqr"),
        ("Ho^m qua tro+`i mu+a. Ho^m nay ddu+o+`ng va^~n ngaa.p.", "Hôm qua trời mưa. Hôm nay đường vẫn ngập.", "viqr"),
        ("Co' ai su+?a kho^ng? To^i ddo+.i ma~i.", "Có ai sửa không? Tôi đợi mãi.", "viqr"),
        (
            "To^i o+? Hue^'. Ba.n o+? dda^u\\? To^i ve^` ra\\. Sau ddo'",
            "Tôi ở Huế. Bạn ở đâu? Tôi về ra. Sau đó",
            "viqr",
        ),
        ("Vie^.t Nam, Ddu+o+`ng bi. hu+ na(.ng\\.", "Việt Nam, Đường bị hư nặng.", "viqr"),
        # "(" is the breve only after an "a"; elsewhere it opens a parenthesis, even with no space before.
        ("Ddu+o+`ng Tra^`n Phu'(phu+o+`ng Lo^.c Tho.) bi. ngaa.p.", "Đường Trần Phú(phường Lộc Thọ) bị ngập.", "viqr"),
        ("Traanf Vawn Hungf", "Trần Văn Hùng", "telex"),
        (  # the keyboard switched off half-way: words that are syllables as typed ("khoong") stay
            "Đường Trần Phú bij ngaapj nuwowcs từ chiều qua, xe khoong ddi dduwowcj.",
            "Đường Trần Phú bị ngập nước từ chiều qua, xe khoong đi được.",
            "telex",
        ),
        (
            "Nguwowfi daan phanr asnh dduwowfng ngaajp nuwowsc",
            "Người dân phản ánh đường ngập nước",
            "telex",
        ),  # tone inside
        ("Ca8n ho65 A12-05 toa2 CT2 bi5 tha6m1 nu7o7c1", "Căn hộ A12-05 tòa CT2 bị thấm nước", "vni"),
    ],
)
def test_typed_text_is_converted_per_word(typed: str, expected: str, convention: str) -> None:
    result = convert_typed(typed)
    assert result is not None
    assert (result.text, result.convention) == (expected, convention)


@pytest.mark.parametrize(
    "text",
    [
        "Đường Trần Phú bị ngập nước",
        "ĐƯỜNG TRẦN PHÚ BỊ NGẬP NƯỚC SAU MƯA",
        "Nguoi dan phan anh duong bi ngap nuoc",  # without diacritics: asked again, not guessed
        "This is a box",
        "How now brown cow? The bus was late again today, as usual.",
        "I'm at the bus stop, it's raining.",
        "0905123456",
        "PAKN-2024-000123 QĐ-UBND 18/2022",
        "Lô A1 B2 C3",
        "covid19 mp3 4G H2O Q1 P5",
        "https://example.com/a.b?c=d an.nguyen@example.vn www.khanhhoa.gov.vn",
        "",
    ],
)
def test_text_that_is_not_typed_vietnamese_is_left_alone(text: str) -> None:
    assert convert_typed(text) is None


# "oo" (xoong, boóc) is the one true ambiguity of doubled keys: "xoongs" reads "xống" first.
MARKED_SYLLABLES = sorted(w for w, c in SYLLABLE_CLASS.items() if c == MARKED and "oo" not in strip_marks(w))


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(MARKED_SYLLABLES), min_size=3, max_size=12),
    convention=st.sampled_from(["viqr", "telex", "vni"]),
    capital=st.booleans(),
)
def test_any_sentence_of_marked_syllables_survives_the_round_trip(
    words: list[str], convention: str, capital: bool
) -> None:
    # Real sentences always hold a hat, horn, breve or đ; with only tone keys nothing is converted (by design).
    assume(any(set(word) & set("ăâêôơưđấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữự") for word in words))
    # In VNI a capitalised one-letter word is a capital and a digit ("I3" for "Ỉ", "A1" for "Á"): that is a
    # code, never converted, by design.
    assume(not (capital and convention == "vni" and len(words[0]) == 1))
    # In VIQR "ím" is typed "i'm", which is English "I'm": left alone, by design (see the test above).
    assume(not (convention == "viqr" and "ím" in words))
    sentence = " ".join(words) + "."
    if capital:
        sentence = sentence[0].upper() + sentence[1:]
    got = convert_typed(encode(sentence, convention))
    assert got is not None
    assert tone_place_free(got.text) == tone_place_free(sentence)


def _normalize(**fields: str) -> tuple[Verdict, list[tuple[str, str | None]], dict[str, object], list[str]]:
    base = {
        "incident_time": "21h ngày 14/9/2024",
        "location": "số 12 đường Trần Phú, phường Lộc Thọ, TP Nha Trang",
        "name": "Nguyễn Văn An",
        "phone": "0905 123 456",
    }
    result = normalize(Submission(Channel.API, RECEIVED, SubmissionFields(**{**base, **fields})), CONTEXT)  # type: ignore[arg-type]
    findings = [(f.code, f.field) for f in result.findings]
    return result.verdict, findings, result.case.as_json(), [f.message for f in result.findings]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            "Ddu+o+`ng Tra^`n Phu' bi. ngaa.p nu+o+'c sau tra^.n mu+a chie^`u qua, xe kho^ng ddi ddu+o+.c.",
            "typed-as-viqr",
        ),
        (
            "Dduwowngf Traanf Phus bij ngaapj nuwowcs sau traanj muwa chieeuf qua, xe khoong ddi dduwowcj.",
            "typed-as-telex",
        ),
        (
            "D9u7o72ng Tra62n Phu1 bi5 nga65p nu7o71c sau tra65n mu7a chie62u qua, xe kho6ng d9i d9u7o75c.",
            "typed-as-vni",
        ),
    ],
)
def test_the_gateway_accepts_typed_content_converted_and_says_so(content: str, code: str) -> None:
    verdict, findings, case, messages = _normalize(content=content)
    assert verdict == Verdict.ACCEPTED
    assert findings == [(code, "content")]
    assert case["content"] == "Đường Trần Phú bị ngập nước sau trận mưa chiều qua, xe không đi được."
    assert case["category"] == "moi-truong-do-thi", "the classifier reads the converted text"
    assert "Đường Trần Phú bị ngập nước" in messages[0]


def test_a_typed_name_and_place_are_converted_too() -> None:
    verdict, findings, case, _ = _normalize(
        content="Đèn đường trước nhà số 12 đường Trần Phú không sáng đã ba đêm, người dân đi lại rất nguy hiểm.",
        name="Traanf Vawn Hungf",
        location="soos 12 dduwowngf Traanf Phus, phuwowngf Nha Trang",
    )
    assert verdict == Verdict.ACCEPTED
    assert findings == [("typed-as-telex", "name"), ("typed-as-telex", "location")]
    assert case["name"] == "Trần Văn Hùng"
    place = case["location"]
    assert isinstance(place, dict) and place["text"] == "số 12 đường Trần Phú, phường Nha Trang"
    assert place["commune"] == "Phường Nha Trang"


def test_typed_findings_are_information_only() -> None:
    result = normalize(
        Submission(Channel.API, RECEIVED, SubmissionFields(content="Dduwowngf Traanf Phus bij ngaapj nuwowcs")),
        CONTEXT,
    )
    typed = [f for f in result.findings if f.code.startswith("typed-as-")]
    assert [f.severity for f in typed] == [Severity.INFO]


def test_capitals_with_diacritics_pass_and_a_short_content_is_asked_to_say_more() -> None:
    verdict, findings, _, _ = _normalize(
        content="ĐÈN ĐƯỜNG TRƯỚC NHÀ SỐ 12 ĐƯỜNG TRẦN PHÚ KHÔNG SÁNG ĐÃ BA ĐÊM, NGƯỜI DÂN ĐI LẠI RẤT NGUY HIỂM."
    )
    assert (verdict, findings) == (Verdict.ACCEPTED, [])
    verdict, findings, _, _ = _normalize(content="ngập nước")
    assert verdict == Verdict.NEEDS_INFORMATION
    assert ("missing-content", "content") in findings


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("Đèn đường truoc nha so 12 Tran Phu khong sang", "truoc, nha, so, Tran, Phu, khong, sang"),
        (
            "Đèn đường trước nhà số 12 Trần Phú không sáng đã ba đêm, nguoi dân đi lại rất nguy hiem, đề nghị xử lý.",
            "nguoi, hiem",
        ),
    ],
)
def test_partial_diacritics_are_sent_back_naming_the_words(content: str, words: str) -> None:
    verdict, findings, _, messages = _normalize(content=content)
    assert verdict == Verdict.NEEDS_INFORMATION
    assert findings == [("missing-diacritics", "content")]
    assert f"chưa có dấu: {words}." in messages[0]


def test_one_slip_or_a_url_is_not_a_missing_mark() -> None:
    content = (
        "Đèn đường trước nhà số 12 Trần Phú không sáng đã ba đêm, nguoi đi lại rất nguy hiểm, "
        "xem https://baokhanhhoa.vn/xa-hoi/duong-ngap."
    )
    assert _normalize(content=content)[:2] == (Verdict.ACCEPTED, [])


CLEAN_CONTENT = "Đèn đường trước nhà số 12 đường Trần Phú không sáng đã ba đêm, người dân đi lại rất nguy hiểm."


def test_every_field_without_diacritics_is_heard_about_at_once() -> None:
    verdict, findings, case, messages = _normalize(
        content=CLEAN_CONTENT,
        name="Tran Van Hung",
        location="so 12 duong Tran Phu, phuong Nha Trang, Khanh Hoa",
        incident_time="toi qua",
        address="so 5 duong Le Loi",
    )
    assert verdict == Verdict.NEEDS_INFORMATION, "the name cannot be guessed: asked again"
    assert findings == [
        ("name-no-diacritics", "name"),
        ("location-restored", "location"),
        ("address-no-diacritics", "address"),
        ("incident-time-read", "incident_time"),
    ]
    assert "Phường Nha Trang, Khánh Hòa" in messages[1]
    place = case["location"]
    assert isinstance(place, dict) and (place["commune"], place["province"]) == ("Phường Nha Trang", "Tỉnh Khánh Hòa")
    assert case["incident_time"] == "2024-09-15T20:00:00+07:00", "tối qua, kept"
    assert "20:00 ngày 15/09/2024" in messages[3]


def test_a_place_and_a_time_restored_or_read_alone_are_accepted() -> None:
    verdict, findings, _, _ = _normalize(
        content=CLEAN_CONTENT,
        location="so 12 duong Tran Phu, phuong Loc Tho, TP Nha Trang",
        incident_time="8h sang nay",
    )
    assert verdict == Verdict.ACCEPTED
    assert findings == [("location-restored", "location"), ("incident-time-read", "incident_time")]


def test_a_place_or_time_that_cannot_be_read_is_asked_again() -> None:
    verdict, findings, _, _ = _normalize(
        content=CLEAN_CONTENT, location="so 12 duong Tran Phu", incident_time="luc nay"
    )
    assert verdict == Verdict.NEEDS_INFORMATION
    assert findings == [
        ("location-no-diacritics", "location"),
        ("incident-time-no-diacritics", "incident_time"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Nguyễn Văn An", "location": "số 12 đường Trần Phú, phường Lộc Thọ", "incident_time": "tối qua"},
        {"name": "John Smith", "address": "Sheraton Hotel, room 1203"},
        {"name": "Mai Lan"},  # may be right as written: not asked
        {"name": "TRẦN VĂN HÙNG", "incident_time": "14h30 12/9/2024"},
        {"location": "Block B2, Vinhomes Golden River", "incident_time": "21h 14/9/2024"},
    ],
)
def test_fields_with_diacritics_or_not_vietnamese_pass(fields: dict[str, str]) -> None:
    _, findings, _, _ = _normalize(content=CLEAN_CONTENT, **fields)
    assert [code for code, _ in findings if "diacritics" in code or code.endswith(("-restored", "-read"))] == []


@pytest.mark.parametrize("name", ["Nguyen An", "TRAN VAN HUNG", "tran thi hoa"])
def test_a_name_without_diacritics_is_asked_again(name: str) -> None:
    verdict, findings, _, _ = _normalize(content=CLEAN_CONTENT, name=name)
    assert (verdict, findings) == (Verdict.NEEDS_INFORMATION, [("name-no-diacritics", "name")])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAdDeEoOuUwWiy^(+'`?~.1234567890 sfrxjngch/-@:"), max_size=60) | st.text())
def test_any_text_converts_without_raising_and_gives_nfc(text: str) -> None:
    result = convert_typed(text)
    if result is not None:
        assert unicodedata.is_normalized("NFC", result.text)
        assert result.text.split() != [] and result.words


def test_a_long_converted_content_is_quoted_short_in_the_message() -> None:
    content = "Dduwowngf Traanf Phus bij ngaapj nuwowcs, xe khoong ddi dduwowcj. " * 20
    _, findings, case, messages = _normalize(content=content)
    assert findings[0] == ("typed-as-telex", "content")
    assert len(messages[0]) < 500 and messages[0].count("Đường Trần Phú") >= 2
    assert str(case["content"]).count("Đường Trần Phú bị ngập nước") == 20, "the case keeps all of it"
