"""Every channel's location pin, in one declared list: content type → the pin in its journaled bytes.

Telegram and Zalo keep the pin the citizen shared in the conversation; the web form and Open311 keep the
form's map pin (``lat``/``long``).  The other channels carry no coordinates.  The app hands this list to
the live map (``pakn.livemap``), which knows no channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from channels.conversation.payload import pin_of_payload as conversation_pin
from channels.telegram import payload as telegram_payload
from channels.web import payload as web_payload
from channels.zalo import payload as zalo_payload
from pakn.records import GeoPoint

__all__ = ["PINS"]

PINS: Mapping[str, Callable[[bytes], GeoPoint | None]] = MappingProxyType(
    {
        telegram_payload.CONTENT_TYPE: conversation_pin,
        zalo_payload.CONTENT_TYPE: conversation_pin,
        web_payload.CONTENT_TYPE: web_payload.pin_of_payload,  # web form and Open311
    }
)
