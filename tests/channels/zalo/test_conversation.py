"""The conversation on Zalo, end to end: signed events to the gateway's web process, the shared
conversation engine (the one the Telegram bot uses), the real worker journaling and checking, and
every answer and the verdict sent through the OA API stand-in.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import httpx

from channels.zalo.payload import CONTENT_TYPE, build_payload
from pakn.db import make_engine, utcnow
from pakn.journal import Journal
from pakn.records import Channel, RawSubmission
from tests.channels.zalo.citizen import ZaloCitizen
from tests.channels.zalo.conftest import zalo_env
from tests.conftest import Gateway, wait_until
from tests.standins.zalo_api import ZaloApiStandIn

CODE = re.compile(r"PAKN-[0-9A-Z]{4}-[0-9A-Z]{4}")
CONTENT = "Cống thoát nước đầu hẻm nhà tôi bị tắc, nước thải tràn ra mặt đường bốc mùi hôi thối."
ASK_PLACE = "Sự việc xảy ra ở đâu"
ASK_TIME = "Sự việc xảy ra lúc nào"
ASK_NAME = "họ và tên đầy đủ"
ASK_PHONE = "số điện thoại để cơ quan liên hệ"
SUMMARY = "Xin kiểm tra lại phản ánh"


def journaled(gateway: Gateway, user_id: str) -> list[dict[str, Any]]:
    rows = gateway.journal("select tracking_code, source_id, raw, content_type from submissions where channel = 'zalo'")
    found = []
    for code, source_id, raw, content_type in rows:
        document = json.loads(raw)
        if document["chat_id"] == user_id:
            found.append({"code": code, "source_id": source_id, "raw": document, "content_type": content_type})
    return found


def test_a_conversation_on_zalo_ends_in_a_tracking_code_and_the_verdict_is_pushed(
    citizen: ZaloCitizen, gateway: Gateway, zalo_api: ZaloApiStandIn
) -> None:
    photo = b"\xff\xd8\xff\xe0 a photo of the blocked drain"
    answers = citizen.image(photo)
    assert "1 tệp" in answers[0] and "mô tả sự việc" in answers[-1], "a photo is an attachment, not an answer"

    answers = citizen.say("Cong thoat nuoc truoc cho bi tac, nuoc thai tran ra duong boc mui.")
    assert "không dấu" in answers[0], "each answer is checked on the spot"
    assert ASK_PLACE in citizen.say(CONTENT)[-1]
    answers = citizen.pin(21.028511, 105.804817)  # Hà Nội: outside the province
    assert "ngoài phạm vi" in answers[0] and ASK_PLACE in answers[-1]
    answers = citizen.pin(12.238791, 109.196749)
    assert "Đã nhận vị trí" in answers[0] and ASK_TIME in answers[-1]
    assert ASK_NAME in citizen.say("7 giờ sáng hôm qua")[-1]
    answers = citizen.say("Nguyen Thi Hoa")
    assert "không dấu" in answers[0] and ASK_NAME in answers[-1]
    assert ASK_PHONE in citizen.say("Nguyễn Thị Hoa")[-1]

    summary = citizen.say("0914 222 333")[-1]
    assert SUMMARY in summary and "«xác nhận»" in summary
    for shown in (CONTENT, "Vị trí trên bản đồ: 12.238791, 109.196749", "Nguyễn Thị Hoa", "0914 222 333"):
        assert shown in summary
    pdf = b"%PDF-1.4 photos of the drain, page 2"
    answers = citizen.file(pdf, "anh-hien-truong.pdf")
    assert "2 tệp" in answers[0] and "Tệp đính kèm: 2" in answers[-1]
    assert "«xác nhận»" in citizen.say("xong rồi")[-1], "text at the summary only reminds how to confirm"

    # The verdict may be pushed before the answer is read back: look for the confirmation, not the last text.
    answers = citizen.say("Xác nhận")
    (confirmation,) = [t for t in answers if "tra cứu PAKN-" in t]
    (code,) = set(CODE.findall(confirmation))
    assert f"tra cứu {code}" in confirmation

    (stored,) = journaled(gateway, citizen.user_id)
    assert stored["code"] == code and stored["content_type"] == "application/vnd.pakn.zalo+json"
    assert stored["source_id"] == f"{citizen.user_id}:{stored['raw']['conversation_id']}"
    raw = stored["raw"]
    assert raw["fields"]["content"] == CONTENT and raw["fields"]["name"] == "Nguyễn Thị Hoa"
    assert raw["location_pin"] == {"latitude": 12.238791, "longitude": 109.196749}
    assert [(a["sha256"], a["mime_type"]) for a in raw["attachments"]] == [
        (hashlib.sha256(photo).hexdigest(), "image/jpeg"),
        (hashlib.sha256(pdf).hexdigest(), "application/pdf"),
    ]
    for attachment in raw["attachments"]:
        assert (gateway.data_dir / "attachments" / attachment["sha256"]).read_bytes() in (photo, pdf)

    # The worker checks it again; the verdict goes to the same Zalo user through the outbox.
    wait_until(lambda: any(code in t and "đã được tiếp nhận" in t for t in citizen.texts()), 30, "verdict pushed")
    status = httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()
    assert status["channel"] == "zalo" and status["status"] in ("accepted", "forwarded")

    (lookup,) = citizen.say(f"Tra cứu {code.lower()}")
    assert code in lookup and "Nguyễn Thị Hoa" not in lookup and "0914" not in lookup
    (unknown,) = citizen.say("tra cuu PAKN-0000-0000")
    assert "Không tìm thấy" in unknown
    (usage,) = citizen.say("tra cứu")
    assert "tra cứu PAKN-" in usage


def test_what_the_message_already_says_is_not_asked_and_cancel_cancels(citizen: ZaloCitizen, gateway: Gateway) -> None:
    everything = (
        "Cây xanh bị gãy đổ chắn ngang đường Trần Phú, phường Nha Trang từ 6h sáng hôm qua. "
        "Tôi là Lê Văn Tám, số điện thoại 0935111222."
    )
    answers = citizen.say(everything)
    assert SUMMARY in answers[-1], answers
    assert "Đã hủy" in citizen.say("Hủy")[-1]
    assert "Chưa có phản ánh nào chờ xác nhận" in citizen.say("xác nhận")[0]
    assert journaled(gateway, citizen.user_id) == []


def test_an_answer_on_zalo_completes_the_submission_that_waits_for_it(citizen: ZaloCitizen, gateway: Gateway) -> None:
    """A submission that came back "needs information" is completed on Zalo, not replaced by a new one."""
    journal = Journal(make_engine(f"sqlite:///{gateway.data_dir / 'journal.db'}"))
    content = "Vỉa hè trước trường mầm non bị sụt lún thành hố sâu, trẻ em đi học rất dễ bị ngã."
    answers = {"content": content, "incident_time": "sáng hôm qua", "name": "Phạm Văn Lợi", "phone": "0916345678"}
    payload = build_payload(
        chat_id=citizen.user_id,
        user_id=citizen.user_id,
        conversation_id="earlier",
        confirmed_update_id="m-earlier",
        started_at="2026-11-22T08:00:00+00:00",
        answers=answers,
        pin=None,
        attachments=[],
    )
    (receipt,) = journal.intake.record(
        [RawSubmission(Channel.ZALO, f"{citizen.user_id}:earlier", payload, CONTENT_TYPE, utcnow())]
    )
    gateway.pakn("replay", receipt.tracking_code)
    wait_until(lambda: status_of(journal, receipt.tracking_code) == "needs_information", 30, "needs_information")
    wait_until(lambda: any(receipt.tracking_code in t for t in citizen.texts()), 30, "needs-information pushed")

    summary = citizen.say("Số 8 đường Lê Thánh Tôn, phường Nha Trang")[-1]
    assert SUMMARY in summary and "Phạm Văn Lợi" in summary, "only what was missing is asked"
    # The accepted verdict is pushed as soon as the worker is done and may come in before the answer is read back.
    (completed,) = [t for t in citizen.say("đồng ý") if "Đã bổ sung thông tin" in t]
    assert receipt.tracking_code in completed
    wait_until(lambda: status_of(journal, receipt.tracking_code) == "forwarded", 30, "the same submission forwarded")
    assert [row["code"] for row in journaled(gateway, citizen.user_id)] == [receipt.tracking_code]


def status_of(journal: Journal, code: str) -> str | None:
    stored = journal.reading.get_by_code(code)
    return stored.status.value if stored else None


def test_an_idle_conversation_on_zalo_is_closed_with_a_message(
    make_gateway: Callable[..., Gateway], own_api: ZaloApiStandIn
) -> None:
    api = own_api
    idle = make_gateway(**zalo_env(api, CHATBOT_IDLE_TIMEOUT_SECONDS="4"))
    idle.pakn("db", "upgrade")
    idle.start("web", "web")
    idle.wait_healthy()
    citizen = ZaloCitizen(api, idle)
    assert "mô tả sự việc" in citizen.say("phản ánh")[-1]
    wait_until(lambda: any("đã được hủy vì quá 1 phút" in t for t in citizen.texts()), 30, "the timeout message")
    assert idle.journal("select count(*) from zalo_conversations")[0][0] == 0
    answers = citizen.say(CONTENT)
    assert ASK_PLACE in answers[-1] and not any("hủy" in t for t in answers), "a new message starts anew"
