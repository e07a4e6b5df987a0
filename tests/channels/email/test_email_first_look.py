"""The listener's first look at a mail's headers, before it answers 250."""

from __future__ import annotations

import base64

from channels.email.parse import parse_mail
from channels.email.smtp import _look

SUBJECT = "Trả lời: [PAKN-7K2M-Q9XM] Đề nghị bổ sung thông tin"


def mail_with_subject(header: bytes) -> bytes:
    name = b"=?utf-8?b?" + base64.b64encode("Nguyễn Văn An".encode()) + b"?="
    return (
        b"From: " + name + b" <an@example.vn>\r\nTo: pakn@khanhhoa.gov.vn\r\nSubject: " + header + b"\r\n"
        b"Message-ID: <reply-1@example.vn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Đã bổ sung địa điểm.\r\n".encode()
    )


def test_a_tracking_code_in_an_encoded_subject_is_seen_as_a_reply() -> None:
    for header in (
        b"=?utf-8?b?" + base64.b64encode(SUBJECT.encode()) + b"?=",
        b"=?UTF-8?Q?Tr=E1=BA=A3_l=E1=BB=9Di=3A_=5BPAKN-7K2M-Q9XM=5D?=",
    ):
        raw = mail_with_subject(header)
        look = _look(raw)
        assert look.may_be_reply, header
        assert look.source == "mid:reply-1@example.vn"
        assert parse_mail(raw).tracking_codes() == ("PAKN-7K2M-Q9XM",)


def test_a_broken_encoded_word_is_read_as_written() -> None:
    look = _look(mail_with_subject(b"=?x-unknown?q?PAKN-7K2M-Q9XM?="))
    assert look.may_be_reply
    assert not _look(mail_with_subject(b"=?utf-8?b?not base64?=")).may_be_reply


def base64_mail(text: str, subtype: str = "plain") -> bytes:
    """A short mail whose only text is written in base64 (as Gmail and Outlook send Vietnamese)."""
    body = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    return (
        b"From: an@example.vn\r\nTo: pakn@khanhhoa.gov.vn\r\nSubject: =?utf-8?b?"
        + base64.b64encode("Hỏi thăm".encode())
        + b"?=\r\nMessage-ID: <b64-1@example.vn>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/"
        + subtype.encode()
        + b"; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + body
    )


def test_a_code_written_in_base64_is_seen_and_a_mail_without_one_is_not_read_in_full() -> None:
    """The code is looked for in the decoded base64 runs: a status request so written is a reply; the
    ordinary mail in base64 (most Vietnamese mail) goes straight to the journal."""
    asking = "Cho tôi hỏi tình trạng phản ánh PAKN-7K2M-Q9XM, xin cảm ơn.\r\n" * 3
    assert _look(base64_mail(asking)).may_be_reply
    assert _look(base64_mail("<p>" + asking + "</p>", "html")).may_be_reply
    assert _look(base64_mail(asking).rstrip(b"\r\n")).may_be_reply  # no line break after the last line
    report = "Đèn đường trước nhà số 12 đường Trần Phú không sáng đã ba đêm, đề nghị sửa chữa.\r\n" * 5
    assert not _look(base64_mail(report)).may_be_reply
    assert not _look(base64_mail("<p>" + report + "</p>", "html")).may_be_reply
