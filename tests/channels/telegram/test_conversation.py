"""The conversation, end to end: the real telegram.ext.Application inside the gateway's web process
(webhook mode), talking real HTTP to the Bot API stand-in; the real worker journals and checks.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

import httpx

from channels.telegram.payload import CONTENT_TYPE, build_payload
from pakn.db import make_engine, utcnow
from pakn.journal import Journal
from pakn.records import Channel, RawSubmission
from tests.channels.telegram.citizen import Citizen
from tests.conftest import Gateway, wait_until
from tests.standins.telegram_api import TelegramApiStandIn

CODE = re.compile(r"PAKN-[0-9A-Z]{4}-[0-9A-Z]{4}")
CONTENT = "Đèn đường trước nhà số 12 không sáng đã ba đêm, người đi đường rất dễ bị ngã."
ASK_CONTENT = "mô tả sự việc"
ASK_PLACE = "Sự việc xảy ra ở đâu"
ASK_TIME = "Sự việc xảy ra lúc nào"
ASK_NAME = "họ và tên đầy đủ"
ASK_PHONE = "số điện thoại để cơ quan liên hệ"
SUMMARY = "Xin kiểm tra lại phản ánh"


def journaled(gateway: Gateway, chat_id: int) -> list[dict[str, Any]]:
    with sqlite3.connect(gateway.data_dir / "journal.db") as conn:
        rows = conn.execute(
            "select tracking_code, source_id, raw, status from submissions where channel = 'telegram'"
        ).fetchall()
    found = []
    for code, source_id, raw, status in rows:
        document = json.loads(raw)
        if document["chat_id"] == chat_id:
            found.append({"code": code, "source_id": source_id, "raw": document, "status": status})
    return found


def test_a_complete_conversation_journals_one_submission_and_pushes_its_status(
    citizen: Citizen, webhook_gateway: Gateway, telegram_api: TelegramApiStandIn
) -> None:
    assert telegram_api.webhook["url"] == f"{webhook_gateway.url}/telegram/webhook", "registered at start-up"
    assert telegram_api.webhook["secret_token"]

    (help_text,) = citizen.command("/start")
    assert "/phananh" in help_text and "/tracuu" in help_text

    answers = citizen.command("/phananh")
    assert ASK_CONTENT in answers[-1]
    photo = b"\xff\xd8\xff\xe0 a photo of the broken street light"
    answers = citizen.photo(photo)
    assert "1 tệp" in answers[0] and ASK_CONTENT in answers[-1], "a photo is an attachment, not an answer"

    assert ASK_PLACE in citizen.say(CONTENT)[-1]
    assert ASK_TIME in citizen.pin(12.238791, 109.196749)[-1]
    assert ASK_NAME in citizen.say("21h ngày 12/9/2024")[-1]
    assert ASK_PHONE in citizen.say("Nguyễn Văn An")[-1]
    keyboard = citizen.last_markup()
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_contact"] is True

    answers = citizen.share_contact("84905123456")
    summary = answers[-1]
    assert SUMMARY in summary
    for shown in (CONTENT, "Vị trí trên bản đồ: 12.238791, 109.196749", "21h ngày 12/9/2024", "Nguyễn Văn An"):
        assert shown in summary
    assert "0905 123 456" in summary and "Tệp đính kèm: 1" in summary
    buttons = citizen.last_markup()
    assert buttons is not None and len(buttons["inline_keyboard"][0]) == 2

    answers = citizen.document(b"%PDF-1.4 minutes of the site visit", "bien-ban.pdf")
    assert "2 tệp" in answers[0] and "Tệp đính kèm: 2" in answers[-1]

    answers = citizen.press("Gửi phản ánh")
    (code,) = set(CODE.findall(answers[-1]))
    assert telegram_api.callback_answers, "the button press is answered"

    (stored,) = journaled(webhook_gateway, citizen.chat_id)
    assert stored["code"] == code
    assert stored["source_id"] == f"{citizen.chat_id}:{stored['raw']['conversation_id']}"
    raw = stored["raw"]
    assert raw["fields"]["content"] == CONTENT
    assert raw["fields"]["phone"] == "84905123456"
    assert raw["location_pin"] == {"latitude": 12.238791, "longitude": 109.196749}
    assert [a["sha256"] for a in raw["attachments"]] == [
        hashlib.sha256(photo).hexdigest(),
        hashlib.sha256(b"%PDF-1.4 minutes of the site visit").hexdigest(),
    ]
    for attachment in raw["attachments"]:
        assert (webhook_gateway.data_dir / "attachments" / attachment["sha256"]).exists()

    # The worker checks it again and the notifier pushes the verdict to the chat.
    wait_until(lambda: any(code in t and "đã được tiếp nhận" in t for t in citizen.texts()), 30, "accepted pushed")
    status = httpx.get(f"{webhook_gateway.url}/api/v1/submissions/{code}", timeout=10).json()
    assert status["channel"] == "telegram" and status["status"] in ("accepted", "forwarded")

    (lookup,) = citizen.command(f"/tracuu {code.lower()}")
    assert code in lookup and "Nguyễn Văn An" not in lookup and "0905" not in lookup
    (unknown,) = citizen.command("/tracuu PAKN-0000-0000")
    assert "Không tìm thấy" in unknown
    (usage,) = citizen.command("/tracuu")
    assert "/tracuu PAKN-" in usage


def test_every_kind_of_wrong_answer_is_explained_and_asked_again(citizen: Citizen, webhook_gateway: Gateway) -> None:
    # Content: without diacritics, in another language, and saying nothing.
    answers = citizen.say("Den duong truoc nha so 12 khong sang da ba dem roi, nguy hiem lam.")
    assert "không dấu" in answers[0] and ASK_CONTENT in answers[-1]
    answers = citizen.say("The street light in front of my house has been broken for three nights now.")
    assert "tiếng Việt" in answers[0] and ASK_CONTENT in answers[-1]
    answers = citizen.say("Xin chào ad")
    assert ASK_CONTENT in answers[-1] and len(answers) == 2
    assert ASK_PLACE in citizen.say(CONTENT)[-1]

    # Place: another province, no diacritics, a pin outside the province.
    answers = citizen.say("phố Hàng Bài, quận Hoàn Kiếm, Hà Nội")
    assert "không thuộc phạm vi tiếp nhận" in answers[0] and ASK_PLACE in answers[-1]
    answers = citizen.say("so 12 duong Tran Phu, phuong Nha Trang")
    assert "không dấu" in answers[0] and ASK_PLACE in answers[-1]
    answers = citizen.pin(21.028511, 105.804817)  # Hà Nội
    assert "ngoài phạm vi" in answers[0] and ASK_PLACE in answers[-1]
    assert ASK_TIME in citizen.say("số 12 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa")[-1]

    # Time in the future.
    answers = citizen.say("ngày mai")
    assert "ở tương lai" in answers[0] and ASK_TIME in answers[-1]
    assert ASK_NAME in citizen.say("tối qua lúc 21h")[-1]

    # Name: not a name, without diacritics.
    answers = citizen.say("123")
    assert "chưa hợp lệ" in answers[0] and ASK_NAME in answers[-1]
    answers = citizen.say("Nguyen Van An")
    assert "không dấu" in answers[0] and ASK_NAME in answers[-1]
    assert ASK_PHONE in citizen.say("Trần Thị Bình")[-1]

    # Phone: not valid typed, someone else's contact card; then typed right.
    answers = citizen.say("12345")
    assert '"12345" không hợp lệ' in answers[0] and ASK_PHONE in answers[-1]
    answers = citizen.share_contact("84987654321", own=False)
    assert "của chính Ông/Bà" in answers[0] and ASK_PHONE in answers[-1]
    summary = citizen.say("0905 123 456")[-1]
    assert SUMMARY in summary and "0905 123 456" in summary and "Trần Thị Bình" in summary

    # Text at the summary only reminds; the cancel button cancels; nothing was journaled.
    assert "bấm «Gửi phản ánh»" in citizen.say("xong rồi")[-1]
    assert "Đã hủy" in citizen.press("Hủy")[-1]
    assert "không còn hiệu lực" in citizen.press("Gửi phản ánh")[-1], "a spent button does nothing"
    assert journaled(webhook_gateway, citizen.chat_id) == []
    assert "Không có phản ánh nào" in citizen.command("/huy")[-1]


def test_what_the_content_already_says_is_not_asked_again(citizen: Citizen, webhook_gateway: Gateway) -> None:
    everything = (
        "Đèn đường trước nhà số 12 đường Trần Phú, phường Nha Trang không sáng từ 21h tối qua. "
        "Tôi là Nguyễn Văn An, số điện thoại 0905123456."
    )
    answers = citizen.command(f"/phananh {everything}")
    assert SUMMARY in answers[-1], answers
    assert "0905 123 456" in answers[-1] and "Nguyễn Văn An" in answers[-1]
    (code,) = set(CODE.findall(citizen.press("Gửi phản ánh")[-1]))
    assert [s["code"] for s in journaled(webhook_gateway, citizen.chat_id)] == [code]


def test_an_answer_in_the_chat_completes_the_submission_that_waits_for_it(
    citizen: Citizen, webhook_gateway: Gateway
) -> None:
    """A submission that came back "needs information" is completed, not replaced by a new one."""
    journal = Journal(make_engine(f"sqlite:///{webhook_gateway.data_dir / 'journal.db'}"))
    # Its own content and phone: the same as another test's case would be (rightly) a repeat of it.
    content = "Nắp hố ga trước cổng trường tiểu học bị vỡ, học sinh đi ngang qua rất dễ bị sụp chân."
    answers = {"content": content, "incident_time": "tối qua", "name": "Trần Thị Bình", "phone": "0912765432"}
    payload = build_payload(
        chat_id=citizen.chat_id,
        user_id=citizen.chat_id,
        conversation_id="earlier",
        confirmed_update_id=1,
        started_at="2026-11-22T08:00:00+00:00",
        answers=answers,
        pin=None,
        attachments=[],
    )
    (receipt,) = journal.intake.record(
        [RawSubmission(Channel.TELEGRAM, f"{citizen.chat_id}:earlier", payload, CONTENT_TYPE, utcnow())]
    )
    webhook_gateway.pakn("replay", receipt.tracking_code)
    wait_until(lambda: status_of(journal, receipt.tracking_code) == "needs_information", 30, "needs_information")

    citizen.say("Số 12 đường Trần Phú, phường Lộc Thọ, thành phố Nha Trang", until=SUMMARY)
    answer = citizen.press("Gửi phản ánh", until="Đã bổ sung thông tin")
    assert receipt.tracking_code in answer[-1]
    wait_until(lambda: status_of(journal, receipt.tracking_code) == "forwarded", 30, "the same submission forwarded")
    assert [row["code"] for row in journaled(webhook_gateway, citizen.chat_id)] == [receipt.tracking_code]


def status_of(journal: Journal, code: str) -> str | None:
    stored = journal.reading.get_by_code(code)
    return stored.status.value if stored else None
