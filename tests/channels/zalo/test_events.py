"""What the conversation is told of each Zalo event (no server: the parsing alone)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.zalo.events import Event, incoming_of, rating_payload
from tests.channels.zalo.citizen import fixture


def event_of(document: dict[str, Any]) -> Event:
    user = (document.get("sender") or document.get("follower"))["id"]
    key = (document.get("message") or {}).get("msg_id") or f"{document['event_name']}:{user}"
    return Event(key, document["event_name"], user, int(document["timestamp"]), json.dumps(document))


def text_event(text: str) -> Event:
    document = fixture("user_send_text")
    document["message"]["text"] = text
    return event_of(document)


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("tra cứu PAKN-7K2M-Q9XM", "tracuu", "PAKN-7K2M-Q9XM"),
        ("Tra Cứu: pakn-7k2m-q9xm", "tracuu", "pakn-7k2m-q9xm"),
        ("tra cuu PAKN-7K2M-Q9XM", "tracuu", "PAKN-7K2M-Q9XM"),
        ("#tracuu PAKN-7K2M-Q9XM", "tracuu", "PAKN-7K2M-Q9XM"),
        ("/tracuu PAKN-7K2M-Q9XM", "tracuu", "PAKN-7K2M-Q9XM"),
        ("tra cứu", "tracuu", ""),
        ("Xác nhận", "xacnhan", ""),
        ("đồng ý!", "xacnhan", ""),
        ("HỦY", "huy", ""),
        ("phản ánh", "phananh", ""),
        ("hướng dẫn", "start", ""),
    ],
)
def test_typed_commands(text: str, command: str, args: str) -> None:
    incoming, download = incoming_of(text_event(text))
    assert (incoming.kind, incoming.command, incoming.args, download) == ("command", command, args, None)


@pytest.mark.parametrize(
    "text",
    [
        "Đồng ý với phản ánh của hàng xóm, cống bị tắc đã lâu",
        "huỷ hoại cây xanh ở công viên",
    ],
)
def test_sentences_are_answers_not_commands(text: str) -> None:
    incoming, _ = incoming_of(text_event(text))
    assert (incoming.kind, incoming.text) == ("text", text)


def test_a_location_an_image_a_file_and_membership_events() -> None:
    location, _ = incoming_of(event_of(fixture("user_send_location")))
    assert (location.kind, location.latitude, location.longitude) == ("location", 10.7642473, 106.6564313)

    image, download = incoming_of(event_of(fixture("user_send_image")))
    assert image.kind == "attachment" and download is not None
    assert (download.url, download.kind, download.mime_type) == (
        "https://zpsimg.zdn.vn/cbc6d1c94a8fa3d1fa9e.jpg",
        "photo",
        "image/jpeg",
    )

    document, download = incoming_of(event_of(fixture("user_send_file")))
    assert document.kind == "attachment" and download is not None
    assert (download.file_name, download.mime_type, download.size) == ("bien-ban.pdf", "application/pdf", 41887)

    follow, _ = incoming_of(event_of(fixture("follow")))
    assert (follow.kind, follow.command, follow.chat_id) == ("command", "start", "246845883529197922")
    unfollow, _ = incoming_of(event_of(fixture("unfollow")))
    assert (unfollow.kind, unfollow.chat_id) == ("other", None), "nothing to say to who left"


def test_the_oas_own_messages_and_unknown_events_are_never_answered() -> None:
    echo = fixture("user_send_text")
    echo["event_name"] = "oa_send_text"  # Zalo echoes what the OA sent: answering it would loop
    incoming, _ = incoming_of(event_of(echo))
    assert (incoming.kind, incoming.chat_id) == ("other", None)
    sticker = fixture("user_send_text")
    sticker["event_name"] = "user_send_sticker"
    incoming, _ = incoming_of(event_of(sticker))
    assert (incoming.kind, incoming.chat_id) == ("other", "246845883529197922"), "told it is not understood"


def test_a_rating_buttons_payload_is_a_rating_of_that_case_and_nothing_else_is() -> None:
    payload = rating_payload(3, "PAKN-AB12-CD34")
    assert payload == "#danhgia 3 PAKN-AB12-CD34"
    incoming, _ = incoming_of(text_event(payload))
    assert (incoming.kind, incoming.callback_data) == ("callback", "rate:3:PAKN-AB12-CD34")
    typed, _ = incoming_of(text_event("  #DanhGia 1 pakn-ab12-cd34 "))
    assert typed.callback_data == "rate:1:PAKN-AB12-CD34"
    for text in ("#danhgia 5 PAKN-AB12-CD34", "#danhgia 1", "#danhgia 1 PAKN-AB12-CD34 rất tốt", "2"):
        other, _ = incoming_of(text_event(text))
        assert other.kind == "text", text
