"""The whole rule chain: submission in, one verdict with every finding, the normalized case out."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import Settings
from normalizer import Context, context_from_settings, normalize
from normalizer.rules import RULES
from normalizer.text.legacy import encode_legacy
from pakn.records import Channel, EarlierCase, Submission, SubmissionFields, Verdict

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2024, 9, 16, 9, 0, tzinfo=VN)  # a Monday
CONTEXT = context_from_settings(Settings(province_code="56"))

COMPLETE = {
    "content": "Đèn đường trước nhà số 12 đường Trần Phú không sáng đã ba đêm, người dân đi lại rất nguy hiểm.",
    "incident_time": "21h ngày 14/9/2024",
    "location": "số 12 đường Trần Phú, phường Lộc Thọ, TP Nha Trang",
    "name": "nguyễn  văn an",
    "phone": "0905 123 456",
}


def run(channel: Channel = Channel.API, **fields: object) -> tuple[Verdict, list[str], dict[str, object]]:
    result = normalize(Submission(channel, RECEIVED, SubmissionFields(**fields)), CONTEXT)  # type: ignore[arg-type]
    return result.verdict, [f.code for f in result.findings], result.case.as_json()


def test_a_complete_submission_is_accepted_and_normalized() -> None:
    verdict, codes, case = run(**COMPLETE)
    assert (verdict, codes) == (Verdict.ACCEPTED, [])
    assert case["phone"] == "+84905123456"
    assert case["name"] == "Nguyễn Văn An"
    assert case["incident_time"] == "2024-09-14T21:00:00+07:00"
    place = case["location"]
    assert isinstance(place, dict)
    assert place["province_code"] == "56" and place["commune"] == "Phường Nha Trang"
    assert place["text"] == COMPLETE["location"], "the address as written is kept"
    assert case["category"] == "moi-truong-do-thi"
    assert case["urgency"] == "urgent", "street lighting is an urgent urban-infrastructure incident"
    assert case["due_at"] == "2024-09-17T09:00:00+07:00", "urgent: 1 working day"


@pytest.mark.parametrize(
    ("changes", "verdict", "codes"),
    [
        ({"location": None}, Verdict.NEEDS_INFORMATION, ["missing-location"]),
        ({"incident_time": None}, Verdict.NEEDS_INFORMATION, ["missing-incident_time"]),
        ({"name": None}, Verdict.NEEDS_INFORMATION, ["missing-name"]),
        ({"phone": None}, Verdict.NEEDS_INFORMATION, ["missing-contact"]),
        ({"phone": None, "email": "An.Nguyen@Example.VN"}, Verdict.ACCEPTED, []),
        ({"content": "Xin chào ad, cảm ơn"}, Verdict.NEEDS_INFORMATION, ["missing-content"]),
        (
            {"content": "Den duong truoc nha so 12 khong sang da ba dem, nguoi dan di lai rat nguy hiem."},
            Verdict.NEEDS_INFORMATION,
            ["no-diacritics"],
        ),
        (
            {"content": "The street light in front of number 12 has been broken for three nights."},
            Verdict.REJECTED,
            ["not-vietnamese"],
        ),
        (
            {"location": "phố Hàng Bài, quận Hoàn Kiếm, Hà Nội"},
            Verdict.REJECTED,
            ["outside-jurisdiction"],
        ),
        ({"incident_time": "21h ngày 14/9/2025"}, Verdict.NEEDS_INFORMATION, ["incident-time-in-future"]),
        ({"phone": "12345"}, Verdict.ACCEPTED, ["invalid-phone"]),
        # every problem at once: the citizen hears about all of them
        (
            {"content": "Den duong hong roi, sua giup voi a", "location": None, "phone": None},
            Verdict.NEEDS_INFORMATION,
            ["no-diacritics", "missing-location", "missing-contact"],
        ),
        (
            {
                "content": "The light is broken, please fix it quickly, thank you very much.",
                "location": "Quận 1, TP Hồ Chí Minh",
            },
            Verdict.REJECTED,
            ["not-vietnamese", "outside-jurisdiction"],
        ),
    ],
)
def test_findings_decide_the_verdict(changes: dict[str, object], verdict: Verdict, codes: list[str]) -> None:
    got_verdict, got_codes, _ = run(**{**COMPLETE, **changes})
    assert (got_verdict, got_codes) == (verdict, codes)


def test_reasons_are_in_vietnamese_and_other_languages_also_in_english() -> None:
    result = normalize(
        Submission(
            Channel.API,
            RECEIVED,
            SubmissionFields(**{**COMPLETE, "content": "Bonjour, la lampe de la rue est cassée depuis trois nuits."}),
        ),  # type: ignore[arg-type]
        CONTEXT,
    )
    (finding,) = result.findings
    assert "tiếng Việt" in finding.message and "tiếng Pháp" in finding.message
    assert finding.message_en is not None and "French" in finding.message_en


def test_old_mobile_numbers_are_converted_and_old_addresses_mapped() -> None:
    verdict, codes, case = run(**{**COMPLETE, "phone": "0168 812 3456", "location": "P. Vĩnh Hải, TP. Nha Trang"})
    assert (verdict, codes) == (Verdict.ACCEPTED, [])
    assert case["phone"] == "+84388123456"
    place = case["location"]
    assert isinstance(place, dict) and place["province_code"] == "56" and place["old_text"]


def test_legacy_encoded_bytes_are_repaired_before_any_check() -> None:
    tcvn3 = encode_legacy(str(COMPLETE["content"]), "tcvn3")
    verdict, codes, case = run(**{**COMPLETE, "content": tcvn3})
    assert verdict is Verdict.ACCEPTED
    assert codes == ["encoding-repaired"]
    assert case["content"] == COMPLETE["content"]


def test_free_text_alone_gives_the_fields_email_and_chat_lack() -> None:
    content = (
        "Tôi tên là Trần Thị Bình, số điện thoại 0905 123 456. Tối qua lúc 21h, tại đường Trần Phú, "
        "phường Lộc Thọ, TP Nha Trang có vụ vỡ ống nước lớn gây ngập đường."
    )
    verdict, codes, case = run(Channel.EMAIL, content=content)
    assert (verdict, codes) == (Verdict.ACCEPTED, [])
    assert case["name"] == "Trần Thị Bình"
    assert case["phone"] == "+84905123456"
    assert case["incident_time"] == "2024-09-15T21:00:00+07:00"
    assert case["urgency"] == "urgent"


def test_a_denunciation_is_always_confidential() -> None:
    content = "Tôi xin tố cáo hành vi nhận hối lộ của cán bộ địa chính phường Lộc Thọ khi làm sổ đỏ cho dân."
    verdict, _, case = run(**{**COMPLETE, "content": content})
    assert verdict is Verdict.ACCEPTED
    assert case["kind"] == "to_cao" and case["confidential"] is True


def test_hotline_does_not_require_the_incident_time() -> None:
    verdict, codes, _ = run(Channel.HOTLINE, **{**COMPLETE, "incident_time": None})
    assert (verdict, codes) == (Verdict.ACCEPTED, [])


def test_the_rules_are_named_and_described() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(rule.description for rule in RULES)


text_or_bytes = st.one_of(st.none(), st.text(max_size=300), st.binary(max_size=300))


@settings(max_examples=150, deadline=None)
@given(
    content=text_or_bytes,
    incident_time=text_or_bytes,
    location=text_or_bytes,
    name=text_or_bytes,
    phone=text_or_bytes,
    email=text_or_bytes,
)
def test_never_raises_and_always_gives_nfc(
    content: str | bytes | None,
    incident_time: str | bytes | None,
    location: str | bytes | None,
    name: str | bytes | None,
    phone: str | bytes | None,
    email: str | bytes | None,
) -> None:
    fields = SubmissionFields(content, incident_time, location, name, phone, email)
    result = normalize(Submission(Channel.EMAIL, RECEIVED, fields), CONTEXT)
    assert result.verdict in Verdict
    for value in (result.case.content, result.case.name or "", result.case.email or ""):
        assert unicodedata.is_normalized("NFC", value)
    for finding in result.findings:
        assert finding.message


def _with_earlier(*cases: EarlierCase) -> Context:
    def lookup(contacts: tuple[str, ...], content_key: str) -> list[EarlierCase]:
        return [c for c in cases if c.contact_key in contacts or content_key]

    return replace(CONTEXT, earlier_cases=lookup)


def _earlier(code: str, contact: str, content: str) -> EarlierCase:
    return EarlierCase(code, RECEIVED, contact, content)


def test_a_resend_by_the_same_person_is_linked_not_a_second_case() -> None:
    resend = str(COMPLETE["content"]).replace("ba đêm", "bốn đêm")  # one word changed
    context = _with_earlier(_earlier("PAKN-AAAA-AAAA", "+84905123456", str(COMPLETE["content"])))
    result = normalize(Submission(Channel.API, RECEIVED, SubmissionFields(**{**COMPLETE, "content": resend})), context)  # type: ignore[arg-type]
    assert result.verdict is Verdict.REJECTED
    assert [f.code for f in result.findings] == ["repeat"]
    assert "PAKN-AAAA-AAAA" in result.findings[0].message
    assert result.case.repeat_of == "PAKN-AAAA-AAAA"


def test_the_same_content_from_someone_else_is_related_not_merged() -> None:
    context = _with_earlier(_earlier("PAKN-BBBB-BBBB", "+84912000000", str(COMPLETE["content"])))
    result = normalize(Submission(Channel.API, RECEIVED, SubmissionFields(**COMPLETE)), context)  # type: ignore[arg-type]
    assert result.verdict is Verdict.ACCEPTED
    assert [f.code for f in result.findings] == ["related"]
    assert result.case.related_to == ("PAKN-BBBB-BBBB",) and result.case.repeat_of is None


def test_different_content_from_the_same_person_is_a_new_case() -> None:
    other = "Nắp cống trước số 7 đường Yersin bị vỡ, trẻ em đi học ngang qua rất dễ bị sụp chân."
    context = _with_earlier(_earlier("PAKN-CCCC-CCCC", "+84905123456", other))
    result = normalize(Submission(Channel.API, RECEIVED, SubmissionFields(**COMPLETE)), context)  # type: ignore[arg-type]
    assert (result.verdict, result.findings) == (Verdict.ACCEPTED, ())


def test_a_field_chosen_by_an_operator_wins_over_the_classifier() -> None:
    fields = SubmissionFields(**{**COMPLETE, "category": "xay-dung"})  # type: ignore[arg-type]
    result = normalize(Submission(Channel.HOTLINE, RECEIVED, fields), CONTEXT)
    assert result.case.category == "xay-dung"
    assert result.case.urgency == "urgent", "urgency still comes from what was said (a street light out)"
    unknown = SubmissionFields(**{**COMPLETE, "category": "no-such-field"})  # type: ignore[arg-type]
    assert normalize(Submission(Channel.HOTLINE, RECEIVED, unknown), CONTEXT).case.category == "moi-truong-do-thi"
