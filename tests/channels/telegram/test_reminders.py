"""A submission made in the Telegram chat and left waiting for information: the sweeper's reminder, then its
closing as not eligible, each a chat message at the Telegram stand-in, the reminder with the completion link."""

from __future__ import annotations

from channels.telegram.payload import CONTENT_TYPE
from pakn.records import Channel
from tests.channels.telegram.citizen import Citizen
from tests.channels.waiting import journal_chat_submission, reminder_then_closing
from tests.conftest import Gateway, wait_until


def test_a_chat_left_unanswered_gets_a_reminder_then_is_closed(citizen: Citizen, webhook_gateway: Gateway) -> None:
    # Its own content and phone: another test's would make it a repeat.  No place: it needs information.
    content = "Cây xanh ven đường bị gãy cành lớn, đè lên vỉa hè, người đi bộ phải đi xuống lòng đường."
    answers = {"content": content, "incident_time": "chiều qua", "name": "Lê Văn Tám", "phone": "0913456780"}
    receipt = journal_chat_submission(webhook_gateway, Channel.TELEGRAM, CONTENT_TYPE, citizen.chat_id, answers)
    code = receipt.tracking_code
    wait_until(lambda: any("cần bổ sung" in t and code in t for t in citizen.texts()), 30, "the request in the chat")
    reminder, closed = reminder_then_closing(webhook_gateway, code, citizen.texts)
    assert f"/complete/{code}?token=" in reminder, "the reminder links to the completion page"
    assert "không đủ điều kiện" in closed
