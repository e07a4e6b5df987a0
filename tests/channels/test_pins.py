"""Where the live map finds coordinates in what each channel journaled (``channels.pins``), and the
tile server's origin the map page's CSP allows (``channels.web.livemap``)."""

from __future__ import annotations

import json

import pytest

from channels.pins import PINS
from channels.telegram import payload as telegram_payload
from channels.web.livemap import tile_origin
from channels.web.payload import CONTENT_TYPE as WEB
from channels.web.payload import WebPayload
from channels.zalo import payload as zalo_payload
from pakn.records import GeoPoint


def conversation(pin: object) -> bytes:
    document = {"version": 1, "chat_id": 1, "fields": {"content": "Đèn hỏng."}, "location_pin": pin}
    return json.dumps(document).encode()


@pytest.mark.parametrize("content_type", [telegram_payload.CONTENT_TYPE, zalo_payload.CONTENT_TYPE])
def test_a_chat_location_is_a_pin(content_type: str) -> None:
    read = PINS[content_type]
    assert read(conversation({"latitude": 12.2458, "longitude": 109.1953})) == GeoPoint(12.2458, 109.1953)
    assert read(conversation(None)) is None  # the place was typed, no pin shared
    for broken in ({"latitude": "12", "longitude": 109}, {"latitude": 95, "longitude": 109}, [12, 109], {}):
        assert read(conversation(broken)) is None, broken


def test_the_web_form_and_open311_pin() -> None:
    read = PINS[WEB]
    pinned = WebPayload(content="Ổ gà.", latitude=11.9355, longitude=109.16).to_bytes()
    assert read(pinned) == GeoPoint(11.9355, 109.16)
    assert read(WebPayload(content="Ổ gà.", latitude=11.9).to_bytes()) is None  # half a pin is none
    assert read(WebPayload(via="open311", content="Rác.").to_bytes()) is None


def test_channels_without_coordinates_have_no_reader() -> None:
    assert set(PINS) == {telegram_payload.CONTENT_TYPE, zalo_payload.CONTENT_TYPE, WEB}


def test_the_tile_servers_origin() -> None:
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert tile_origin("https://{s}.tile.example.vn/{z}/{x}/{y}.png") == "https://*.tile.example.vn"
    assert tile_origin("") == ""
