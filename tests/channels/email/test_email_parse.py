"""A mail → SubmissionFields, attachments judged, loop safety: on the .eml fixtures, no server needed."""

from __future__ import annotations

import pytest

from channels.email.attachments import AttachmentPolicy, Refused
from channels.email.loops import no_answer_reason
from channels.email.parse import fields_from_raw, parse_mail, source_id
from pakn.records import Attachment
from tests.channels.email.conftest import fixture

CONTENT = (
    "Kính gửi Ban tiếp công dân,\n\n"
    "Đèn đường trước nhà số 12 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa không sáng từ 21h ngày "
    "12/9/2024, người dân đi lại ban đêm rất nguy hiểm. Đề nghị cơ quan chức năng kiểm tra, sửa chữa.\n\n"
    "Trân trọng,\nNguyễn Văn An"
)
OWN = ("pakn@khanhhoa.gov.vn",)


@pytest.mark.parametrize(
    ("name", "content", "phone"),
    [
        ("plain_utf8.eml", CONTENT, "0905 123 456"),  # quoted earlier mail dropped, phone from the signature
        ("quoted_printable.eml", CONTENT, "0905 123 456"),
        ("base64.eml", CONTENT, "0905 123 456"),
        ("cp1258.eml", CONTENT + "\nĐT: 0905 123 456", None),
        ("tcvn3_wrong_charset.eml", CONTENT + "\nĐT: 0905 123 456", None),  # declared latin-1, really TCVN3
        ("vni_undeclared.eml", CONTENT + "\nĐT: 0905 123 456", None),
    ],
)
def test_text_bodies_in_every_charset_give_the_same_content(name: str, content: str, phone: str | None) -> None:
    fields = fields_from_raw(fixture(name))
    assert fields.content == content
    assert fields.name == "Nguyễn Văn An"
    assert fields.email == "an.nguyen@example.vn"
    assert fields.phone == phone


def test_html_only_is_sanitized_to_text_without_the_quote() -> None:
    fields = fields_from_raw(fixture("html_only.eml"))
    assert isinstance(fields.content, str)
    assert fields.content.startswith("Kính gửi Ban tiếp công dân,\n\nĐèn đường trước nhà số 12")
    assert "ĐT: 0905 123 456" in fields.content
    assert "alert" not in fields.content and "color" not in fields.content
    assert "Thư cũ" not in fields.content and "wrote" not in fields.content


def test_source_identity_is_the_message_id_else_a_hash_of_the_bytes() -> None:
    assert source_id(fixture("plain_utf8.eml")) == "mid:plain-1@example.vn"
    raw = fixture("no_message_id.eml")
    assert source_id(raw).startswith("sha256:") and source_id(raw) == source_id(bytes(raw))
    assert source_id(raw) != source_id(raw + b"\r\n")


def test_malformed_mime_never_raises_and_keeps_what_it_can() -> None:
    mail = parse_mail(fixture("malformed.eml"))
    fields = fields_from_raw(fixture("malformed.eml"))
    assert fields.content == "“Đèn đường hỏng."  # the readable base64 prefix, decoded as UTF-8
    assert mail.message_id is None and mail.date is None
    assert fields.email is None


def test_attachments_kept_with_hash_and_refused_with_a_reason() -> None:
    policy = AttachmentPolicy(
        max_bytes=1_000_000,
        max_total_bytes=2_000_000,
        max_count=5,
        max_unpacked_bytes=10_000_000,
        forbidden_extensions=frozenset({"exe", "bat"}),
    )
    photo = policy.judge(parse_mail(fixture("multipart_photo.eml")).parts)
    assert [(a.filename, a.content_type, a.size) for a in photo if isinstance(a, Attachment)] == [
        ("den-duong.jpg", "image/jpeg", 91),
        ("đơn.pdf", "application/pdf", 45),
    ]
    assert all(len(a.sha256) == 64 for a in photo if isinstance(a, Attachment))
    exe = policy.judge(parse_mail(fixture("exe_attachment.eml")).parts)
    assert [(r.part.filename, r.reason) for r in exe if isinstance(r, Refused)] == [
        ("hoa-don.pdf.exe", "forbidden-type"),  # by its name
        ("bien-ban.pdf", "forbidden-type"),  # a PE executable whatever its name says
    ]
    bomb = policy.judge(parse_mail(fixture("zip_bomb.eml")).parts)
    assert [(r.part.filename, r.reason) for r in bomb if isinstance(r, Refused)] == [("anh.zip", "decompression-bomb")]
    parts = parse_mail(fixture("multipart_photo.eml")).parts
    for limits, reason in [
        ((50, 1000, 5), "too-large"),
        ((1000, 1000, 1), "too-many"),
        ((1000, 100, 5), "total-too-large"),
    ]:
        judged = AttachmentPolicy(*limits, 10_000_000, frozenset()).judge(parts)
        assert [r.reason for r in judged if isinstance(r, Refused)] == [reason]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("plain_utf8.eml", None),
        ("bounce_dsn.eml", "null-sender"),
        ("auto_reply.eml", "auto-submitted"),
        ("mailing_list.eml", "precedence"),
    ],
)
def test_rfc3834_which_mails_get_no_answer(name: str, reason: str | None) -> None:
    assert no_answer_reason(parse_mail(fixture(name)), OWN) == reason


def test_no_answer_to_lists_without_precedence_nor_to_our_own_address() -> None:
    listed = fixture("mailing_list.eml").replace(b"Precedence: list\r\n", b"")
    assert no_answer_reason(parse_mail(listed), OWN) == "mailing-list"
    ours = fixture("plain_utf8.eml").replace(b"an.nguyen@example.vn", b"pakn@khanhhoa.gov.vn")
    assert no_answer_reason(parse_mail(ours), OWN) == "own-address"
    bounce_without_null_sender = fixture("bounce_dsn.eml").replace(b"Return-Path: <>\r\n", b"")
    assert no_answer_reason(parse_mail(bounce_without_null_sender), OWN) == "bounce"
