"""How the triage page reads a journaled original for people (channels/web/triage_view.py): a mail as its
headers, text and attachments, its HTML read as text (no script survives); a chat conversation as the
answers in the order asked; a call as the operator logged it; what no channel's format reads as text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage

from channels.conversation.payload import build_payload
from channels.email.parse import CONTENT_TYPE as MAIL
from channels.hotline.payloads import CALL_CONTENT_TYPE, SMS_CONTENT_TYPE
from channels.telegram.payload import CONTENT_TYPE as TELEGRAM
from channels.web.triage_view import view
from config.catalog import load_catalog
from config.settings import get_settings

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def labels() -> dict[str, str]:
    sections = load_catalog(get_settings().data_dir).messages.sections
    return {**sections["api-field"], **sections["triage-raw"]}


def test_a_mail_is_its_headers_its_text_and_its_attachments_with_no_markup_left() -> None:
    mail = EmailMessage()
    mail["From"] = '"Nguyễn Văn An" <an@example.vn>'
    mail["To"] = "pakn@khanhhoa.gov.vn"
    mail["Subject"] = "Đèn đường hỏng"
    mail["Message-ID"] = "<abc-1@example.vn>"
    mail.set_content("Đèn đường trước nhà số 12 không sáng.")
    mail.add_alternative(
        "<p>Đèn đường <b>trước nhà</b> số 12 không sáng.</p><script>alert('x')</script>", subtype="html"
    )
    mail.add_attachment(b"\x89PNG" + b"0" * 3000, maintype="image", subtype="png", filename="<anh>.png")
    shown = view(mail.as_bytes(), MAIL, AT, labels(), "Bản gốc")
    assert shown.kind == "mail"
    entries = {e.key: (e.label, e.value) for e in shown.entries}
    assert entries["from"] == ("Người gửi", "Nguyễn Văn An <an@example.vn>")
    assert entries["subject"] == ("Tiêu đề", "Đèn đường hỏng")
    assert "Đèn đường trước nhà số 12 không sáng." in shown.body
    assert "<script>" not in shown.body and "alert" not in shown.body
    assert [(a.label, a.key) for a in shown.attachments] == [("<anh>.png", "image/png")]
    assert shown.attachments[0].value == "3 KB"


def test_a_chat_is_the_answers_in_the_order_asked_and_a_call_is_the_operators_log() -> None:
    payload = build_payload(
        chat_id=42, user_id=7, conversation_id="c-1", confirmed_update_id=9, started_at="2026-12-07T08:00:00+00:00",
        answers={"phone": "0905123456", "content": "Rác chưa thu gom", "location": "phường Nha Trang"},
        pin={"latitude": 12.24, "longitude": 109.19}, attachments=[],
    )  # fmt: skip
    chat = view(payload, TELEGRAM, AT, labels(), "Bản gốc")
    assert chat.kind == "chat"
    assert [(e.key, e.value) for e in chat.entries][:3] == [
        ("content", "Rác chưa thu gom"), ("location", "phường Nha Trang"), ("phone", "0905123456")
    ]  # fmt: skip
    assert chat.entries[0].label == "Nội dung"
    assert ("location_pin", "12.24, 109.19") in [(e.key, e.value) for e in chat.entries]
    assert "chat_id" not in [e.key for e in chat.entries] and "42" not in [e.value for e in chat.entries]

    log = json.dumps({"phone": "0905123456", "content": "Cống bị tắc", "operator": "tongdai", "outcome": "case"})
    call = view(log.encode(), CALL_CONTENT_TYPE, AT, labels(), "Bản gốc")
    assert call.kind == "call"
    assert call.entries[0] == call.entries[0].__class__("content", "Nội dung", "Cống bị tắc")
    assert ("operator", "Điện thoại viên", "tongdai") in [(e.key, e.label, e.value) for e in call.entries]

    sms = view(b"From=%2B84905123456&To=%2B842583000000&Body=C%E1%BB%91ng+t%E1%BA%AFc", SMS_CONTENT_TYPE, AT,
               labels(), "Bản gốc")  # fmt: skip
    assert sms.kind == "sms" and ("Body", "Cống tắc") in [(e.key, e.value) for e in sms.entries]


def test_what_its_channel_cannot_read_is_shown_as_text() -> None:
    shown = view(b"{not json \xff", CALL_CONTENT_TYPE, AT, labels(), "Bản gốc")
    assert shown.kind == "text" and shown.entries == () and shown.raw_text.startswith("{not json")
