"""Later SMS, through the signed Twilio webhook of a running gateway: "tra cứu <mã>" is answered at once with
the status (TwiML), never a case; a reply from the same number completes that number's submission waiting
for information, re-normalized, and its new verdict is texted through the Twilio stand-in."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

from tests.channels.hotline.conftest import fixture_body, journal_rows, post_signed
from tests.conftest import Gateway, wait_until
from tests.standins.twilio_api import TwilioApiStandIn

PHONE = "+84912345670"  # this test's own number (the hotline gateway is shared)


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def _sms(name: str, sid: str | None = None, **changes: str) -> bytes:
    sid = sid or _sid()
    return fixture_body(name, MessageSid=sid, SmsSid=sid, SmsMessageSid=sid, **changes)


def _texts_to(twilio_api: TwilioApiStandIn, phone: str, code: str) -> list[str]:
    return [m.body for m in twilio_api.sent if m.to == phone and code in m.body]


def _twiml_messages(xml: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(xml).iter("Message")]


def _count(hotline: Gateway, sql: str, *args: object) -> int:
    return int(journal_rows(hotline, sql, *args)[0][0])


def test_tra_cuu_by_sms_answers_the_status_and_a_reply_completes_the_same_submission(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    first = _sid()
    assert post_signed(hotline, "/hotline/twilio/sms", _sms("sms_incomplete", first, From=PHONE)).status_code == 200
    ((submission_id, code),) = journal_rows(
        hotline, "select id, tracking_code from submissions where source_id = ?", first
    )
    (asked,) = wait_until(lambda: _texts_to(twilio_api, PHONE, code), 30, "the needs-information SMS")
    assert f"/complete/{code}?token=" in asked, "the SMS links to the web completion page"
    submissions = _count(hotline, "select count(*) from submissions")

    # Anyone holding the code may ask, in any case, without diacritics: the status, at once, no case.
    for body in (f"Tra cứu {code.lower()}", f"tra cuu {code}", code):
        answer = post_signed(hotline, "/hotline/twilio/sms", _sms("sms_lookup", Body=body, From="+84987000111"))
        assert answer.status_code == 200
        (text,) = _twiml_messages(answer.text)
        assert text.startswith("[Đường dây nóng PAKN] ")
        assert f"Phản ánh mã {code}: Cần bổ sung thông tin." in text
        assert "Cống" not in text and "905" not in text and PHONE[3:] not in text
    assert _count(hotline, "select count(*) from submissions") == submissions

    # The same information from another number is a submission of its own.
    other = post_signed(hotline, "/hotline/twilio/sms", _sms("sms_reply", From="+84987000222"))
    assert other.status_code == 200 and _twiml_messages(other.text) == []
    assert _count(hotline, "select count(*) from amendments where submission_id = ?", submission_id) == 0

    # The reply from the same number, no code: it completes the waiting submission (a retry adds nothing).
    reply = _sms("sms_reply", From=PHONE)
    for _ in range(2):
        response = post_signed(hotline, "/hotline/twilio/sms", reply)
        assert response.status_code == 200 and _twiml_messages(response.text) == []
    assert _count(hotline, "select count(*) from amendments where submission_id = ?", submission_id) == 1
    assert _count(hotline, "select count(*) from submissions") == submissions + 1  # the other number's only
    wait_until(
        lambda: any("đã được tiếp nhận" in t for t in _texts_to(twilio_api, PHONE, code)), 40, "the accepted SMS"
    )
    ((status, normalized),) = journal_rows(
        hotline, "select status, normalized from submissions where id = ?", submission_id
    )
    assert status in ("accepted", "forwarded")
    assert "Cống thoát nước" in normalized and "Yersin" in normalized, "the content kept, the place added"


def test_an_sms_left_unanswered_gets_a_short_reminder_then_is_closed(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    """The sweeper's reminder and closing, each one short SMS through the Twilio stand-in.  The journal's clock
    of the row is moved past the delays (the shared gateway keeps the default settings): nothing sleeps."""
    phone, first = "+84912345671", _sid()
    assert post_signed(hotline, "/hotline/twilio/sms", _sms("sms_incomplete", first, From=phone)).status_code == 200
    ((code,),) = journal_rows(hotline, "select tracking_code from submissions where source_id = ?", first)
    wait_until(lambda: _texts_to(twilio_api, phone, code), 30, "the needs-information SMS")

    hotline.journal("update submissions set waiting_since = datetime('now', '-21 days') where tracking_code = ?", code)
    (reminder,) = wait_until(
        lambda: [t for t in _texts_to(twilio_api, phone, code) if t.startswith("[Đường dây nóng PAKN] Nhắc")],
        30,
        "the reminder SMS",
    )
    hotline.journal("update submissions set reminded_at = datetime('now', '-21 days') where tracking_code = ?", code)
    (closed,) = wait_until(
        lambda: [t for t in _texts_to(twilio_api, phone, code) if "đã đóng" in t], 30, "the closing SMS"
    )
    assert f"/complete/{code}?token=" in reminder and "\n" not in reminder, "short: one line and the link"
    assert len(closed) <= 120 and "\n" not in closed
    ((status,),) = journal_rows(hotline, "select status from submissions where tracking_code = ?", code)
    assert status == "rejected"
