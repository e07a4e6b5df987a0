"""A submission made on the Zalo OA and left waiting for information: the sweeper's reminder, then its
closing as not eligible, each a message through the OA API stand-in, the reminder with the completion link."""

from __future__ import annotations

from channels.zalo.payload import CONTENT_TYPE
from pakn.records import Channel
from tests.channels.waiting import journal_chat_submission, reminder_then_closing
from tests.channels.zalo.citizen import ZaloCitizen
from tests.conftest import Gateway, wait_until


def test_a_zalo_submission_left_unanswered_gets_a_reminder_then_is_closed(
    citizen: ZaloCitizen, gateway: Gateway
) -> None:
    # Its own content and phone: another test's would make it a repeat.  No place: it needs information.
    content = "Đường ống cấp nước bị rò rỉ trước chợ, nước chảy lênh láng suốt ba ngày nay chưa ai sửa."
    answers = {"content": content, "incident_time": "chiều qua", "name": "Đỗ Thị Mai", "phone": "0914567801"}
    code = journal_chat_submission(gateway, Channel.ZALO, CONTENT_TYPE, citizen.user_id, answers).tracking_code
    wait_until(lambda: any("cần bổ sung" in t and code in t for t in citizen.texts()), 30, "the request on Zalo")
    reminder, closed = reminder_then_closing(gateway, code, citizen.texts)
    assert f"/complete/{code}?token=" in reminder, "the reminder links to the completion page"
    assert "không đủ điều kiện" in closed
