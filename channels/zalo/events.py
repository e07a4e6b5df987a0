"""Zalo's webhook events: the signature check, and what the conversation needs to know of each event.

Zalo signs every event with ``X-ZEvent-Signature: mac=<hex>``, the SHA-256 of app id + raw body +
the body's ``timestamp`` + the OA secret key.  Events read here (Zalo's published formats):

- ``user_send_text``: ``message.text`` (a typed command such as ``tra cứu <mã>`` or ``hủy`` included, and
  the payload of a button the OA sent, which a click sends as the user's text: ``#danhgia <1-4> <mã>``);
- ``user_send_location``: ``message.attachments[0].payload.coordinates.{latitude, longitude}``;
- ``user_send_image`` / ``user_send_file``: ``message.attachments[].payload.url`` (downloaded and kept);
- ``follow``: the greeting; ``unfollow`` and any other event: recorded, nothing to answer.

Every event names its user in ``sender.id`` (``follower.id`` for follow/unfollow) and, for messages,
carries ``message.msg_id``: a redelivered event has the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.conversation.engine import Incoming
from channels.text import valid_text
from config.settings import Settings

SIGNATURE_HEADER = "x-zevent-signature"
TEXT_EVENTS = frozenset({"user_send_text"})
ATTACHMENT_EVENTS = frozenset({"user_send_image", "user_send_file"})

# What a citizen types instead of Telegram's commands and buttons (compared without marks and case).
_LOOKUP = re.compile(r"^\s*(?:/?tra\s*cuu|#tracuu)\b[\s:]*(.*)$", re.IGNORECASE | re.DOTALL)
_CONFIRM_WORDS = frozenset({"xac nhan", "dong y", "gui", "gui phan anh", "ok", "xacnhan"})
_CANCEL_WORDS = frozenset({"huy", "huy bo", "huy phan anh"})
_NEW_WORDS = frozenset({"phan anh", "phan anh moi", "bat dau"})
_HELP_WORDS = frozenset({"help", "huong dan", "tro giup", "menu", "start"})

# A rating button's payload (channels.zalo.notify): the rating and the case it is for, so that a click is
# taken as Telegram's "rate:<1-4>:<code>" button is, bound to that case (channels.conversation.engine).
RATE_TAG = "#danhgia"
_RATE = re.compile(r"^\s*#danhgia\s+([1-4])\s+(PAKN-[0-9A-Z]{4}-[0-9A-Z]{4})\s*$", re.IGNORECASE)


def rating_payload(number: int, tracking_code: str) -> str:
    """What the button for rating ``number`` (1-4) of the case sends back when clicked."""
    return f"{RATE_TAG} {number} {tracking_code}"


@dataclass(frozen=True, slots=True)
class Event:
    """One signed event as the inbox keeps it."""

    event_id: str
    event_name: str
    user_id: str
    timestamp_ms: int
    body: str


class Refused(Exception):
    """The request is not a signed, fresh event of our app: answered 403 (or 400), never handled."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The value of X-ZEvent-Signature Zalo sends for this body."""
    mac = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={mac}"


def verify(settings: Settings, header: str, raw: bytes, now: datetime) -> Event:
    """The event, if the request is one Zalo signed for our app lately; raises ``Refused`` otherwise."""
    secret = settings.zalo.oa_secret_key
    app_id = settings.zalo.app_id
    if secret is None or not app_id:
        raise Refused(403, "forbidden")
    try:
        document = json.loads(raw)
    except ValueError:
        raise Refused(403, "forbidden") from None
    if not isinstance(document, dict):
        raise Refused(403, "forbidden")
    timestamp = document.get("timestamp")
    if not isinstance(timestamp, str | int) or not str(timestamp).isdigit():
        raise Refused(403, "forbidden")
    expected = signature(app_id, raw, str(timestamp), secret.get_secret_value())
    if not hmac.compare_digest(header.strip().encode(), expected.encode()) or str(document.get("app_id")) != app_id:
        raise Refused(403, "forbidden")
    age = abs(now.timestamp() * 1000 - int(timestamp)) / 1000
    if age > settings.zalo.max_event_age_seconds:
        raise Refused(403, "stale")
    event_name = document.get("event_name")
    user_id = _user_of(document)
    if not isinstance(event_name, str) or not event_name or user_id is None:
        raise Refused(400, "not-an-event")
    message = document.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    event_id = str(msg_id) if msg_id else f"{event_name}:{user_id}:{timestamp}"
    return Event(event_id[:96], event_name[:48], user_id, int(timestamp), raw.decode("utf-8", "replace"))


def _user_of(document: dict[str, Any]) -> str | None:
    for key in ("sender", "follower", "user"):
        part = document.get(key)
        if isinstance(part, dict) and part.get("id"):
            return str(part["id"])[:64]
    return None


@dataclass(frozen=True, slots=True)
class Download:
    """An attachment to fetch before the conversation sees it."""

    url: str
    kind: str  # photo | document
    file_name: str
    mime_type: str
    size: int | None


def incoming_of(event: Event) -> tuple[Incoming, Download | None]:
    """What the conversation needs of an event (and the attachment to download first, if any)."""
    document = json.loads(event.body)
    base: dict[str, Any] = {"update_id": event.event_id, "chat_id": event.user_id, "user_id": event.user_id}
    message = document.get("message") if isinstance(document.get("message"), dict) else {}
    if event.event_name == "follow":
        return Incoming(kind="command", command="start", **base), None
    if event.event_name in TEXT_EVENTS:
        return _text(valid_text(str(message.get("text") or "")), base), None
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    if event.event_name == "user_send_location":
        for item in attachments:
            coordinates = (item.get("payload") or {}).get("coordinates") or {}
            try:
                latitude, longitude = float(coordinates["latitude"]), float(coordinates["longitude"])
            except (KeyError, TypeError, ValueError):
                continue
            return Incoming(kind="location", latitude=latitude, longitude=longitude, **base), None
        return Incoming(kind="other", **base), None
    if event.event_name in ATTACHMENT_EVENTS:
        caption = valid_text(str(message.get("text") or ""))
        for item in attachments:
            payload = item.get("payload") or {}
            url = payload.get("url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return Incoming(kind="attachment", text=caption, **base), _download(event, item, payload, url)
        return Incoming(kind="other", **base), None
    if event.event_name.startswith("user_send_"):  # stickers, GIFs, links, business cards: not understood
        return Incoming(kind="other", **base), None
    return Incoming(kind="other", **{**base, "chat_id": None}), None  # unfollow, OA events: nothing to say


def _download(event: Event, item: dict[str, Any], payload: dict[str, Any], url: str) -> Download:
    if event.event_name == "user_send_image" or item.get("type") == "image":
        return Download(url, "photo", f"{event.event_id}.jpg", "image/jpeg", None)
    size = str(payload.get("size"))  # Zalo sends it as a string of digits
    name = valid_text(str(payload.get("name") or event.event_id))[:200]
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"  # payload.type is "pdf", "docx"...
    return Download(url, "document", name, mime_type, int(size) if size.isdigit() else None)


def _text(text: str, base: dict[str, Any]) -> Incoming:
    rate = _RATE.match(text)
    if rate is not None:
        return Incoming(kind="callback", callback_data=f"rate:{rate.group(1)}:{rate.group(2).upper()}", **base)
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        return Incoming(kind="command", command=head[1:].lower(), args=args.strip(), **base)
    folded = _fold(text)
    lookup = _LOOKUP.match(folded)
    if lookup is not None:
        args = text[len(text) - len(lookup.group(1)) :] if lookup.group(1) else ""
        return Incoming(kind="command", command="tracuu", args=args.strip(), **base)
    words = " ".join(re.findall(r"\w+", folded))
    for command, known in (("xacnhan", _CONFIRM_WORDS), ("huy", _CANCEL_WORDS), ("phananh", _NEW_WORDS)):
        if words in known:
            return Incoming(kind="command", command=command, **base)
    if words in _HELP_WORDS:
        return Incoming(kind="command", command="start", **base)
    return Incoming(kind="text", text=text, **base)


def _fold(text: str) -> str:
    """Lower case without Vietnamese marks ("Tra cứu" → "tra cuu"), the same length as ``text``."""
    decomposed = (unicodedata.normalize("NFD", c) for c in text.lower())
    return "".join((d[0] if d else c) for c, d in zip(text.lower(), decomposed, strict=True)).replace("đ", "d")
