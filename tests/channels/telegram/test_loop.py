"""The case store's question and the request to rate in a Telegram chat, through the running gateway (webhook)
and the Bot API stand-in: the next message after the question is its answer; the request to rate comes with
four inline buttons, and pressing one is the rating (the first counts), each delivered to the embedded case
store with no identity."""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib

import httpx

from channels.telegram.payload import CONTENT_TYPE
from dispatcher.sinks import sign
from pakn.records import Channel
from tests.channels.telegram.citizen import Citizen
from tests.channels.waiting import journal_chat_submission
from tests.conftest import Gateway, wait_until


def callback(gateway: Gateway, path: str, body: dict[str, object]) -> httpx.Response:
    """A signed callback of the embedded case store (the key the gateway generated for it)."""
    secret = tomllib.loads((gateway.data_dir / "secrets.toml").read_text())["case_store_secret"]
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(secret.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/{path}", content=raw, headers=headers, timeout=10)


def at_store(gateway: Gateway, table: str, code: str) -> list[dict[str, object]]:
    with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
        try:
            rows = conn.execute(f"select payload from {table} where tracking_code = ?", (code,)).fetchall()
        except sqlite3.OperationalError:
            return []
    return [json.loads(p) for (p,) in rows]


def test_a_question_answered_and_the_answer_rated_with_a_button_in_telegram(
    citizen: Citizen, webhook_gateway: Gateway
) -> None:
    gateway = webhook_gateway
    answers = {
        "content": "Nắp hố ga trước số nhà 22 bị vỡ, xe máy sụp bánh, rất nguy hiểm cho người đi đường ban đêm.",
        "location": "số 22 đường Thống Nhất, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "21h ngày 3/12/2026",
        "name": "Hồ Thị Giang",
        "phone": "0913456791",
    }
    code = journal_chat_submission(gateway, Channel.TELEGRAM, CONTENT_TYPE, citizen.chat_id, answers).tracking_code
    wait_until(
        lambda: gateway.journal("select status from submissions where tracking_code = ?", code) == [("forwarded",)],
        60,
        "the case forwarded",
    )
    question = "Hố ga bị vỡ nằm trên vỉa hè hay dưới lòng đường?"
    asked = {"tracking_code": code, "question_id": "t-1", "question": question}
    assert callback(gateway, "questions", asked).status_code == 202
    wait_until(lambda: any(question in t for t in citizen.texts()), 30, "the question in the chat")
    replies = citizen.say("Dưới lòng đường, sát mép vỉa hè.", until="đã được chuyển đến cơ quan xử lý")
    assert any(code in r for r in replies)
    (answer,) = wait_until(lambda: at_store(gateway, "case_replies", code), 60, "the answer at the store")
    assert answer["answer"] == "Dưới lòng đường, sát mép vỉa hè." and answer["channel"] == "telegram"
    assert str(citizen.chat_id) not in json.dumps(answer) and "Giang" not in json.dumps(answer, ensure_ascii=False)

    resolved = {"tracking_code": code, "status": "resolved", "update_id": "t-r1", "answer": "Đã thay nắp hố ga."}
    assert callback(gateway, "updates", resolved).status_code == 202
    wait_until(lambda: any("có hài lòng" in t and code in t for t in citizen.texts()), 30, "the request to rate")
    markup = citizen.last_markup()
    assert markup is not None
    labels = [button["text"] for row in markup["inline_keyboard"] for button in row]
    assert labels == ["Rất hài lòng", "Hài lòng", "Chấp nhận được", "Không hài lòng"]
    thanks = citizen.press("Rất hài lòng", until="Cảm ơn Ông/Bà đã đánh giá")
    assert any(code in t for t in thanks)
    (rated,) = wait_until(lambda: at_store(gateway, "case_ratings", code), 60, "the rating at the store")
    assert (rated["rating"], rated["score"], rated["channel"], rated["comment"]) == (
        "very_satisfied",
        4,
        "telegram",
        None,
    )
    later = citizen.press("Không hài lòng", until="")
    assert not any("Cảm ơn Ông/Bà đã đánh giá" in t for t in later), "the first rating counts"
    assert gateway.journal(
        "select rating from ratings r join submissions s on s.id = r.submission_id where s.tracking_code = ?", code
    ) == [("very_satisfied",)]
