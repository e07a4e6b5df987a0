"""The case store's question on the Zalo OA, through the running gateway and the OA API stand-in: relayed to the
citizen's chat, the next message they write is the answer (thanked at once, delivered to the case store with
no identity), and the message after it is a conversation like any other."""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib

import httpx

from channels.zalo.payload import CONTENT_TYPE
from dispatcher.sinks import sign
from pakn.records import Channel
from tests.channels.waiting import journal_chat_submission
from tests.channels.zalo.citizen import ZaloCitizen
from tests.conftest import Gateway, wait_until
from tests.standins.zalo_api import ZaloApiStandIn


def ask(gateway: Gateway, body: dict[str, object], path: str = "questions") -> httpx.Response:
    """A signed callback (a question, or a status update), with the key the gateway generated for its
    embedded case store."""
    secret = tomllib.loads((gateway.data_dir / "secrets.toml").read_text())["case_store_secret"]
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(secret.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/{path}", content=raw, headers=headers, timeout=10)


def answers_at_store(gateway: Gateway, code: str, table: str = "case_replies") -> list[dict[str, object]]:
    with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
        try:
            rows = conn.execute(f"select payload from {table} where tracking_code = ?", (code,)).fetchall()
        except sqlite3.OperationalError:
            return []
    return [json.loads(p) for (p,) in rows]


def test_the_next_zalo_message_after_a_question_is_its_answer(citizen: ZaloCitizen, gateway: Gateway) -> None:
    answers = {
        "content": "Cây xanh trước trường tiểu học bị gãy cành lớn, đè lên vỉa hè, học sinh phải đi xuống lòng đường.",
        "location": "số 30 đường Lê Thánh Tôn, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "7h sáng ngày 2/12/2026",
        "name": "Trần Thị Bích",
        "phone": "0914567802",
    }
    code = journal_chat_submission(gateway, Channel.ZALO, CONTENT_TYPE, citizen.user_id, answers).tracking_code
    wait_until(
        lambda: gateway.journal("select status from submissions where tracking_code = ?", code) == [("forwarded",)],
        60,
        "the case forwarded",
    )
    question = "Cành cây gãy nằm ở phía cổng trường hay phía sân bóng?"
    assert ask(gateway, {"tracking_code": code, "question_id": "z-1", "question": question}).status_code == 202
    (relayed,) = wait_until(lambda: [t for t in citizen.texts() if question in t], 30, "the question on Zalo")
    assert f"/lookup?code={code}&token=" in relayed, "with the reply form's link"

    replies = citizen.say("Phía cổng trường, ngay trước quán nước.")
    assert any("đã được chuyển đến cơ quan xử lý" in r and code in r for r in replies), replies
    (delivered,) = wait_until(lambda: answers_at_store(gateway, code), 60, "the answer at the case store")
    assert delivered["answer"] == "Phía cổng trường, ngay trước quán nước." and delivered["channel"] == "zalo"
    assert delivered["question_id"] == "z-1"
    raw = json.dumps(delivered, ensure_ascii=False)
    assert citizen.user_id not in raw and "Bích" not in raw and "0914567802" not in raw

    # The question is answered: the next message is the start of a conversation, not another answer.
    later = citizen.say("Đèn tín hiệu giao thông ở ngã tư Lý Thánh Tôn bị hỏng từ sáng hôm qua, xe cộ rất lộn xộn.")
    assert not any("đã được chuyển đến cơ quan xử lý" in r for r in later)
    assert gateway.journal(
        "select count(*) from citizen_replies r join submissions s on s.id = r.submission_id where s.tracking_code = ?",
        code,
    ) == [(1,)]


def test_a_resolved_zalo_case_is_rated_with_a_typed_number(citizen: ZaloCitizen, gateway: Gateway) -> None:
    answers = {
        "content": "Rác thải sinh hoạt đổ trộm thành đống lớn bên bờ kè sông Cái, bốc mùi hôi thối nhiều ngày.",
        "location": "số 8 đường Hai Tháng Tư, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "sáng ngày 1/12/2026",
        "name": "Võ Văn Dũng",
        "phone": "0914567803",
    }
    code = journal_chat_submission(gateway, Channel.ZALO, CONTENT_TYPE, citizen.user_id, answers).tracking_code
    wait_until(
        lambda: gateway.journal("select status from submissions where tracking_code = ?", code) == [("forwarded",)],
        60,
        "the case forwarded",
    )
    # Before any request to rate, a number is just a message (the start of a conversation).
    assert not any("Cảm ơn Ông/Bà đã đánh giá" in r for r in citizen.say("2"))
    citizen.say("/huy")
    resolved = {"tracking_code": code, "status": "resolved", "update_id": "r1", "answer": "Đã thu gom rác."}
    assert ask(gateway, resolved, "updates").status_code == 202
    (request,) = wait_until(lambda: [t for t in citizen.texts() if "có hài lòng" in t and code in t], 30, "asked")
    assert "trả lời một số từ 1 đến 4" in request and f"/rate/{code}?token=" in request

    replies = citizen.say("2 Xử lý nhanh, cảm ơn.")
    assert any("Cảm ơn Ông/Bà đã đánh giá" in r and "Hài lòng" in r for r in replies), replies
    (rated,) = wait_until(lambda: answers_at_store(gateway, code, "case_ratings"), 60, "the rating at the store")
    assert (rated["rating"], rated["comment"], rated["channel"]) == ("satisfied", "Xử lý nhanh, cảm ơn.", "zalo")
    assert not any("Cảm ơn Ông/Bà đã đánh giá" in r for r in citizen.say("1")), "rated once"


def test_a_question_arriving_mid_conversation_takes_the_next_message_then_the_conversation_goes_on(
    citizen: ZaloCitizen, gateway: Gateway
) -> None:
    answers = {
        "content": "Biển báo giao thông ở ngã ba bị gió quật đổ nằm giữa đường, xe cộ phải tránh rất nguy hiểm.",
        "location": "số 60 đường Nguyễn Thị Minh Khai, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "6h sáng ngày 4/12/2026",
        "name": "Mai Văn Hùng",
        "phone": "0914567804",
    }
    code = journal_chat_submission(gateway, Channel.ZALO, CONTENT_TYPE, citizen.user_id, answers).tracking_code
    wait_until(
        lambda: gateway.journal("select status from submissions where tracking_code = ?", code) == [("forwarded",)],
        60,
        "the case forwarded",
    )
    # A new conversation begun: its first answer given, it asks the next thing it needs.
    asked_next = citizen.say("Cống thoát nước trước chợ Xóm Mới bị tắc, nước thải tràn lên mặt đường, hôi thối.")
    assert asked_next
    question = "Biển báo đổ là biển gì?"
    assert ask(gateway, {"tracking_code": code, "question_id": "z-3", "question": question}).status_code == 202
    wait_until(lambda: [t for t in citizen.texts() if question in t], 30, "the question on Zalo")

    replies = citizen.say("Biển cấm đỗ xe.")
    assert "đã được chuyển đến cơ quan xử lý" in replies[0] and code in replies[0]
    assert replies[1:] and replies[-1] == asked_next[-1], "the conversation's own question is asked again"
    (delivered,) = wait_until(lambda: answers_at_store(gateway, code), 60, "the answer at the case store")
    assert delivered["answer"] == "Biển cấm đỗ xe."
    # The conversation goes on where it was: the next message answers its question, not the agency's.
    later = citizen.say("7h sáng hôm qua")  # what it asked: when
    assert not any("đã được chuyển đến cơ quan xử lý" in r for r in later)
    assert later and later[-1] != asked_next[-1], "the conversation moved on"
    citizen.say("/huy")


def resolved_case(gateway: Gateway, citizen: ZaloCitizen, answers: dict[str, str], update_id: str) -> str:
    code = journal_chat_submission(gateway, Channel.ZALO, CONTENT_TYPE, citizen.user_id, answers).tracking_code
    wait_until(
        lambda: gateway.journal("select status from submissions where tracking_code = ?", code) == [("forwarded",)],
        60,
        "the case forwarded",
    )
    resolved = {"tracking_code": code, "status": "resolved", "update_id": update_id, "answer": "Đã xử lý xong."}
    assert ask(gateway, resolved, "updates").status_code == 202
    return code


def test_a_resolved_zalo_case_is_rated_with_a_button_once_and_only_for_its_own_case(
    citizen: ZaloCitizen, zalo_api: ZaloApiStandIn, gateway: Gateway
) -> None:
    neighbour = ZaloCitizen(zalo_api, gateway)
    other = resolved_case(
        gateway,
        neighbour,
        {
            "content": "Nắp cống thoát nước trên vỉa hè bị vỡ, người đi bộ buổi tối rất dễ sụp chân xuống hố.",
            "location": "số 21 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
            "incident_time": "tối ngày 3/12/2026",
            "name": "Lê Thị Hoa",
            "phone": "0914567804",
        },
        "rb-other",
    )
    code = resolved_case(
        gateway,
        citizen,
        {
            "content": "Đèn chiếu sáng công cộng cả đoạn đường ven biển bị tắt nhiều đêm liền, rất nguy hiểm.",
            "location": "số 50 đường Phạm Văn Đồng, phường Bắc Nha Trang, tỉnh Khánh Hòa",
            "incident_time": "đêm ngày 2/12/2026",
            "name": "Phạm Văn Bình",
            "phone": "0914567805",
        },
        "rb-own",
    )
    (asked,) = wait_until(lambda: zalo_api.buttons_to(citizen.user_id), 30, "the request to rate, with buttons")
    text, buttons = asked
    assert "có hài lòng" in text and code in text and f"/rate/{code}?token=" in text
    titles = ["Rất hài lòng", "Hài lòng", "Chấp nhận được", "Không hài lòng"]
    assert buttons == [
        {"title": title, "type": "oa.query.show", "payload": f"#danhgia {n} {code}"}
        for n, title in enumerate(titles, start=1)
    ]
    assert zalo_api.refused == [], "the stand-in took the template message as Zalo would"

    # A button's payload naming another case (the neighbour's) rates neither.
    stale = citizen.say(f"#danhgia 4 {other}")
    assert any("Nút này không còn hiệu lực." in r for r in stale), stale

    replies = citizen.click("Chấp nhận được")
    assert any("Cảm ơn Ông/Bà đã đánh giá" in r and "Chấp nhận được" in r and code in r for r in replies), replies
    (rated,) = wait_until(lambda: answers_at_store(gateway, code, "case_ratings"), 60, "the rating at the store")
    assert (rated["rating"], rated["comment"], rated["channel"]) == ("acceptable", None, "zalo")

    # Clicked again (or another of its buttons): the first rating counts, nothing more reaches the store.
    again = citizen.click("Chấp nhận được") + citizen.click("Rất hài lòng")
    assert not any("Cảm ơn Ông/Bà đã đánh giá" in r for r in again), again
    time.sleep(2)
    assert len(answers_at_store(gateway, code, "case_ratings")) == 1
    assert answers_at_store(gateway, other, "case_ratings") == []
    assert gateway.journal(
        "select r.rating from ratings r join submissions s on s.id = r.submission_id where s.tracking_code = ?", other
    ) == [(None,)], "the neighbour's case still waits for its own rating"

    # The neighbour's own button still rates their case.
    (neighbour_asked,) = wait_until(lambda: zalo_api.buttons_to(neighbour.user_id), 30, "the neighbour asked")
    assert neighbour_asked[1][3]["payload"] == f"#danhgia 4 {other}"
    assert any("Không hài lòng" in r for r in neighbour.click("Không hài lòng"))
    (theirs,) = wait_until(lambda: answers_at_store(gateway, other, "case_ratings"), 60, "the neighbour's rating")
    assert theirs["rating"] == "unhappy"
