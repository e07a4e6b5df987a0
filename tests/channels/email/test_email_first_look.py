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


def photo_mail(text: str, photo_base64: bytes) -> bytes:
    """A phone's mail: a short text part in base64, then a photo."""
    return (
        b"From: an@example.vn\r\nTo: pakn@khanhhoa.gov.vn\r\nSubject: Phan anh\r\n"
        b"Message-ID: <photo-1@example.vn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
        + b"--b1\r\nContent-Type: image/jpeg; name=anh.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + photo_base64
        + b"--b1--\r\n"
    )


def test_a_photo_whose_letters_spell_a_code_is_not_a_reply_and_the_text_beside_it_is_read() -> None:
    """A 200 KB photo's base64 spells ``pAknxjH2FM11`` now and then: that is not a code written by anyone
    (it sent such mail down the slow path of a reply).  The text part beside the photo still counts."""
    line = b"QUJD" * 16 + b"pAknxjH2FM11" + b"\r\n"  # 76 letters, as mail clients fold base64
    photo = line * 3000
    report = "Đèn đường trước nhà số 12 đường Trần Phú không sáng đã ba đêm.\r\n"
    assert not _look(photo_mail(report, photo)).may_be_reply
    assert _look(photo_mail("Tôi bổ sung ảnh cho phản ánh PAKN-7K2M-Q9XM.\r\n", photo)).may_be_reply
    plain = photo_mail(report, photo).replace(b"Content-Transfer-Encoding: base64\r\n\r\n", b"\r\n", 1)
    assert not _look(plain).may_be_reply  # the first part no longer base64: searched as its bytes are
    written = plain.replace(b"\r\n--b1\r\nContent-Type: image", b"\r\nPAKN-7K2M-Q9XM\r\n--b1\r\nContent-Type: image", 1)
    assert _look(written).may_be_reply
