"""The case store's question by SMS, through the signed Twilio webhook of a running gateway and the Twilio
stand-in: the question is texted to the number the submission came from; the next SMS from that number is
the answer (thanked at once in the TwiML, delivered to the case store with no identity, a Twilio retry
taking nothing twice); an SMS from another number answers nothing."""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib
import uuid
from collections.abc import Callable
from xml.etree import ElementTree

import httpx

from dispatcher.sinks import sign
from tests.channels.hotline.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    fixture_body,
    journal_rows,
    post_signed,
)
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.standins.twilio_api import TwilioApiStandIn

PHONE = "+84912345691"  # this test's own number (the hotline gateway is shared)
CONTENT = (
    "Ổ gà lớn giữa đường số 45 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa, xe máy ngã từ 19h tối qua. "
    "Tôi là Lê Văn Cường."
)


def _sms(**changes: str) -> bytes:
    sid = "SM" + uuid.uuid4().hex
    return fixture_body("sms_complete", MessageSid=sid, SmsSid=sid, SmsMessageSid=sid, **changes)


def _twiml_messages(xml: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(xml).iter("Message")]


def ask(gateway: Gateway, body: dict[str, object], path: str = "questions") -> httpx.Response:
    secret = tomllib.loads((gateway.data_dir / "secrets.toml").read_text())["case_store_secret"]
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(secret.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/{path}", content=raw, headers=headers, timeout=10)


def forwarded_code(hotline: Gateway, phone: str) -> str:
    """The tracking code of this number's SMS submission, once forwarded to the case store."""
    query = "select tracking_code from submissions where channel = 'sms' and status = 'forwarded' and "
    query += "cast(raw as text) like ?"
    ((code,),) = wait_until(lambda: journal_rows(hotline, query, f"%{phone[1:]}%"), 60, "the SMS case forwarded")
    return str(code)


def answers_at_store(gateway: Gateway, code: str, table: str = "case_replies") -> list[dict[str, object]]:
    with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
        try:
            rows = conn.execute(f"select payload from {table} where tracking_code = ?", (code,)).fetchall()
        except sqlite3.OperationalError:
            return []
    return [json.loads(p) for (p,) in rows]


def test_the_next_sms_from_the_number_is_the_answer_to_the_question(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    first = _sms(From=PHONE, Body=CONTENT)
    assert post_signed(hotline, "/hotline/twilio/sms", first).status_code == 200
    code = forwarded_code(hotline, PHONE)
    question = "Ổ gà nằm ở làn xe bên trái hay bên phải?"
    assert ask(hotline, {"tracking_code": code, "question_id": "sms-1", "question": question}).status_code == 202
    (texted,) = wait_until(
        lambda: [m.body for m in twilio_api.sent if m.to == PHONE and question in m.body], 40, "the question SMS"
    )
    assert f"/lookup?code={code}&token=" in texted

    # Another number writing now answers nothing (it is a submission of its own).
    other = post_signed(hotline, "/hotline/twilio/sms", _sms(From="+84912345692", Body="Bên trái."))
    assert other.status_code == 200 and not any("Đã chuyển" in t for t in _twiml_messages(other.text))

    reply = _sms(From=PHONE, Body="Làn bên phải, gần cột điện.")
    for _ in range(2):  # Twilio's retry of the same SMS: the same answer, nothing more
        response = post_signed(hotline, "/hotline/twilio/sms", reply)
        assert response.status_code == 200
    (delivered,) = wait_until(lambda: answers_at_store(hotline, code), 60, "the answer at the case store")
    assert delivered["answer"] == "Làn bên phải, gần cột điện." and delivered["channel"] == "sms"
    raw = json.dumps(delivered, ensure_ascii=False)
    assert PHONE[3:] not in raw and "Cường" not in raw
    assert journal_rows(
        hotline,
        "select count(*) from citizen_replies r join submissions s on s.id = r.submission_id where s.tracking_code = ?",
        code,
    ) == [(1,)]


def test_the_thanks_is_in_the_webhooks_answer(hotline: Gateway, twilio_api: TwilioApiStandIn) -> None:
    phone = "+84912345693"
    body = CONTENT.replace("số 45", "số 47").replace("Lê Văn Cường", "Phạm Thị Dung")
    assert post_signed(hotline, "/hotline/twilio/sms", _sms(From=phone, Body=body)).status_code == 200
    code = forwarded_code(hotline, phone)
    assert (
        ask(hotline, {"tracking_code": code, "question_id": "sms-2", "question": "Ông/Bà đi xe gì?"}).status_code == 202
    )
    wait_until(lambda: [m for m in twilio_api.sent if m.to == phone and "đi xe gì" in m.body], 40, "the question")
    response = post_signed(hotline, "/hotline/twilio/sms", _sms(From=phone, Body="Xe máy."))
    (thanks,) = _twiml_messages(response.text)
    assert thanks.startswith("[Đường dây nóng PAKN] ") and code in thanks and "Đã chuyển câu trả lời" in thanks


def test_a_resolved_sms_case_is_rated_by_a_reply_starting_with_a_number(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    phone = "+84912345694"
    body = CONTENT.replace("số 45", "số 49").replace("Lê Văn Cường", "Đặng Văn Em")
    assert post_signed(hotline, "/hotline/twilio/sms", _sms(From=phone, Body=body)).status_code == 200
    code = forwarded_code(hotline, phone)
    resolved = {"tracking_code": code, "status": "resolved", "update_id": "s1", "answer": "Đã vá ổ gà."}
    assert ask(hotline, resolved, "updates").status_code == 202
    (asked,) = wait_until(
        lambda: [m.body for m in twilio_api.sent if m.to == phone and "có hài lòng" in m.body], 40, "the request"
    )
    assert "trả lời một số từ 1 đến 4" in asked and f"/rate/{code}?token=" in asked
    reply = _sms(From=phone, Body="4 Vá xong lại bong ngay")
    (thanks,) = _twiml_messages(post_signed(hotline, "/hotline/twilio/sms", reply).text)
    assert thanks.startswith("[Đường dây nóng PAKN] ") and "Cảm ơn Ông/Bà đã đánh giá" in thanks and code in thanks
    retried = post_signed(hotline, "/hotline/twilio/sms", reply)  # Twilio's retry of the same SMS
    assert retried.status_code == 200 and _twiml_messages(retried.text) == []
    later = post_signed(hotline, "/hotline/twilio/sms", _sms(From=phone, Body="3"))
    assert not any("Cảm ơn Ông/Bà đã đánh giá" in t for t in _twiml_messages(later.text)), "rated once"
    (rated,) = wait_until(lambda: answers_at_store(hotline, code, "case_ratings"), 60, "the rating at the store")
    assert (rated["rating"], rated["comment"], rated["channel"]) == ("unhappy", "Vá xong lại bong ngay", "sms")


def test_a_hotline_caller_texted_on_a_mobile_answers_and_rates_by_sms(
    make_gateway: Callable[..., Gateway], twilio_api: TwilioApiStandIn
) -> None:
    """A call logged by an operator: with HOTLINE_SMS_TO_CALLERS the caller's mobile gets the question and the
    request to rate, and the caller's SMS from that mobile are the answer and the rating (the contact the
    normalizer keeps for the call); another mobile's SMS are neither."""
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        HOTLINE_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        HOTLINE_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        HOTLINE_TWILIO_FROM_NUMBER=FROM_NUMBER,
        HOTLINE_TWILIO_API_BASE_URL=twilio_api.url,
        HOTLINE_SMS_TO_CALLERS="true",
    )
    gateway.start_all()
    password = "mat-khau-rat-dai-2024"
    gateway.pakn("operators", "add", "lan", "--name", "Lan", "--password-stdin", input=f"{password}\n".encode())
    token = gateway.pakn("operators", "token", "lan").stdout.decode().strip()
    phone = "+84912345695"
    call = {
        "call_id": "c-loop-1",
        "phone": "0912 345 695",
        "name": "Hoàng Thị Giang",
        "content": "Đèn tín hiệu giao thông ngã tư Trần Phú - Lê Thánh Tôn không hoạt động, xe cộ đi lộn xộn.",
        "location": "ngã tư Trần Phú - Lê Thánh Tôn, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "7h sáng hôm qua",
        "outcome": "case",
    }
    logged = httpx.post(
        f"{gateway.url}/hotline/api/v1/calls", json=call, headers={"authorization": f"Bearer {token}"}, timeout=10
    )
    assert logged.status_code == 201, logged.text
    code = logged.json()["tracking_code"]
    forwarded = "select status from submissions where tracking_code = ?"
    wait_until(lambda: gateway.journal(forwarded, code) == [("forwarded",)], 60, "the call's case forwarded")
    question = "Đèn hỏng ở hướng nào?"
    assert ask(gateway, {"tracking_code": code, "question_id": "call-1", "question": question}).status_code == 202
    wait_until(lambda: [m for m in twilio_api.sent if m.to == phone and question in m.body], 40, "the question SMS")

    other = post_signed(gateway, "/hotline/twilio/sms", _sms(From="+84912345696", Body="Hướng Lê Thánh Tôn."))
    assert other.status_code == 200 and not any(code in t for t in _twiml_messages(other.text))
    response = post_signed(gateway, "/hotline/twilio/sms", _sms(From=phone, Body="Hướng đi Lê Thánh Tôn."))
    (thanks,) = _twiml_messages(response.text)
    assert code in thanks and "Đã chuyển câu trả lời" in thanks
    (delivered,) = wait_until(lambda: answers_at_store(gateway, code), 60, "the answer at the case store")
    assert (delivered["answer"], delivered["channel"]) == ("Hướng đi Lê Thánh Tôn.", "sms")

    resolved = {"tracking_code": code, "status": "resolved", "update_id": "r1", "answer": "Đã sửa đèn tín hiệu."}
    assert ask(gateway, resolved, "updates").status_code == 202
    wait_until(lambda: [m for m in twilio_api.sent if m.to == phone and "có hài lòng" in m.body], 40, "the request")
    assert post_signed(gateway, "/hotline/twilio/sms", _sms(From="+84912345696", Body="1")).status_code == 200
    rated = post_signed(gateway, "/hotline/twilio/sms", _sms(From=phone, Body="1 Sửa nhanh"))
    assert any("Cảm ơn Ông/Bà đã đánh giá" in t for t in _twiml_messages(rated.text))
    (rating,) = wait_until(lambda: answers_at_store(gateway, code, "case_ratings"), 60, "the rating at the store")
    assert (rating["rating"], rating["comment"], rating["channel"]) == ("very_satisfied", "Sửa nhanh", "sms")
