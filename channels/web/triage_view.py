"""The triage inbox's reading of a journaled original, for people: a mail as its headers, text and
attachments; a chat conversation as the answers the citizen gave, in the order they were asked; a call as
the operator logged it; an SMS, a form or an API request as its fields.

Everything here is plain text handed to an autoescaping template: a mail's HTML is read as text by the
channel's own parser (``channels.email.parse``, scripts and styles dropped), never rendered, and a name
or file name the sender chose is shown escaped.  Whatever cannot be read this way is still shown as the
bytes decoded as UTF-8 (the page's "as received" block).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.conversation.engine import FIELDS as CHAT_FIELDS
from channels.email import parse as email_parse
from channels.hotline import payloads as hotline_payloads
from pakn.records import StoredAmendment, StoredSubmission

log = logging.getLogger(__name__)

# The JSON keys of journaled payloads that are the platform's own bookkeeping, not what the citizen said.
_HIDDEN = frozenset({"version", "chat_id", "user_id", "conversation_id", "confirmed_update_id", "sender_id"})
# Shown first, in this order, when present: what the citizen said, then who they are.
_ORDER = ("content", "text", "location", "incident_time", "name", "phone", "email", "address", "confidential")
_MAX_TEXT = 50_000


@dataclass(frozen=True, slots=True)
class Entry:
    """One labelled line of an original: a header, an answer, a field."""

    key: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class RawView:
    """A journaled payload as people read it.  ``kind``: mail, chat, call, sms, form or text (unreadable)."""

    kind: str
    title: str
    received_at: datetime
    entries: tuple[Entry, ...]
    body: str = ""  # a mail's own text (quotes and signature apart)
    signature: str = ""
    attachments: tuple[Entry, ...] = ()
    raw_text: str = ""  # the bytes as received, decoded as UTF-8 (what the page shows folded)


def views(
    stored: StoredSubmission, amendments: Sequence[StoredAmendment], labels: Mapping[str, str]
) -> tuple[RawView, ...]:
    """The original and each later completion, oldest first."""
    first = view(stored.raw, stored.content_type, stored.received_at, labels, labels.get("raw-original", ""))
    later = tuple(
        view(a.raw, a.content_type, a.received_at, labels, labels.get("raw-amendment", "")) for a in amendments
    )
    return (first, *later)


def view(raw: bytes, content_type: str, received_at: datetime, labels: Mapping[str, str], title: str) -> RawView:
    """One payload as people read it; an unreadable one as its text."""
    media = content_type.split(";")[0].strip().lower()
    text = raw[:_MAX_TEXT].decode("utf-8", "replace")
    try:
        if media == email_parse.CONTENT_TYPE:
            return _mail(raw, received_at, labels, title, text)
        if media == hotline_payloads.SMS_CONTENT_TYPE:
            params = hotline_payloads.form_params(raw)
            entries = tuple(Entry(k, labels.get(f"sms-{k}", k), v) for k, v in params if k in ("From", "To", "Body"))
            return RawView("sms", title, received_at, entries, raw_text=text)
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        if isinstance(document.get("fields"), dict):
            return _chat(document, received_at, labels, title, text)
        kind = "call" if media == hotline_payloads.CALL_CONTENT_TYPE else "form"
        entries = _entries(document, labels)
        attachments = _files(document.get("attachments"), labels)
        return RawView(kind, title, received_at, entries, attachments=attachments, raw_text=text)
    except Exception:  # shown as it is: the page still has the bytes
        log.info("triage: a %s payload could not be read for display", media)
        return RawView("text", title, received_at, (), raw_text=text)


def _mail(raw: bytes, received_at: datetime, labels: Mapping[str, str], title: str, text: str) -> RawView:
    mail = email_parse.parse_mail(raw)
    sender = " ".join(p for p in (mail.from_name or "", f"<{mail.from_address}>" if mail.from_address else "") if p)
    headers = [
        ("from", sender),
        ("to", mail.header("to")),
        ("subject", mail.subject),
        ("date", mail.header("date")),
        ("message-id", mail.message_id or ""),
    ]
    entries = tuple(Entry(k, labels.get(f"mail-{k}", k), v) for k, v in headers if v)
    attachments = tuple(
        Entry(
            part.content_type,
            part.original_filename or part.filename,
            _size(len(part.data), labels) if part.data is not None else labels.get("file-damaged", ""),
        )
        for part in mail.parts
    )
    return RawView("mail", title, received_at, entries, mail.text, mail.signature, attachments, text)


def _chat(document: dict[str, Any], received_at: datetime, labels: Mapping[str, str], title: str, text: str) -> RawView:
    """A conversation: each answer under the question's name, in the order the chat asks them."""
    answers = document["fields"]
    order = [name for name in CHAT_FIELDS if name in answers] + sorted(set(answers) - set(CHAT_FIELDS))
    entries = [Entry(name, labels.get(name, name), _text(answers[name])) for name in order]
    pin = document.get("location_pin")
    if isinstance(pin, dict) and "latitude" in pin and "longitude" in pin:
        entries.append(Entry("location_pin", labels.get("location_pin", ""), f"{pin['latitude']}, {pin['longitude']}"))
    if document.get("started_at"):
        entries.append(Entry("started_at", labels.get("started_at", ""), _text(document["started_at"])))
    return RawView("chat", title, received_at, tuple(entries), attachments=_files(document.get("attachments"), labels),
                   raw_text=text)  # fmt: skip


def _entries(document: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[Entry, ...]:
    keys = [k for k in _ORDER if k in document] + sorted(set(document) - set(_ORDER))
    return tuple(
        Entry(k, labels.get(k, k), _text(document[k]))
        for k in keys
        if k not in _HIDDEN and k != "attachments" and document[k] not in (None, "", [], {})
    )


def _files(items: Any, labels: Mapping[str, str]) -> tuple[Entry, ...]:
    if not isinstance(items, list):
        return ()
    files = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("filename") or item.get("file_name") or item.get("sha256") or ""
            kind = item.get("content_type") or item.get("mime_type") or ""
            size = item.get("size")
            files.append(Entry(str(kind), str(name), _size(size, labels) if isinstance(size, int) else ""))
    return tuple(files)


def _size(size: int, labels: Mapping[str, str]) -> str:
    return labels.get("file-size", "{kb} KB").format(kb=max(1, round(size / 1024)))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
