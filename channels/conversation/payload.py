"""The raw submission a chat conversation journals, and the parser that reads it back.

A conversation has no single message to keep: what is journaled is every answer exactly as the
citizen typed it (the normalizer repairs and checks them again), the location pin, the attachments'
metadata, and who and which update confirmed it.  Each platform journals it under a content type of
its own (``application/vnd.pakn.telegram+json``, ``application/vnd.pakn.zalo+json``).
"""

from __future__ import annotations

import json
from typing import Any

from channels.conversation.engine import FIELDS
from pakn.records import Attachment, GeoPoint, SubmissionFields


def build_payload(
    *,
    chat_id: Any,
    user_id: Any,
    conversation_id: str,
    confirmed_update_id: Any,
    started_at: str,
    answers: dict[str, str],
    pin: dict[str, float] | None,
    attachments: list[dict[str, Any]],
) -> bytes:
    document = {
        "version": 1,
        "chat_id": chat_id,
        "user_id": user_id,
        "conversation_id": conversation_id,
        "confirmed_update_id": confirmed_update_id,
        "started_at": started_at,
        "fields": {name: answers[name] for name in FIELDS if name in answers},
        "location_pin": pin,
        "attachments": attachments,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def chat_of(payload: bytes) -> Any:
    """Where to push status changes: the chat the submission was made in."""
    return json.loads(payload)["chat_id"]


def fields_of_payload(payload: bytes, content_type: str) -> SubmissionFields:
    """The fields of a journaled conversation (``channels.readers`` entry)."""
    document = json.loads(payload)
    answers = document.get("fields", {})
    return SubmissionFields(
        content=answers.get("content"),
        location=answers.get("location"),
        incident_time=answers.get("incident_time"),
        name=answers.get("name"),
        phone=answers.get("phone"),
        attachments=tuple(
            Attachment(
                filename=str(item.get("file_name") or item["sha256"]),
                content_type=str(item.get("mime_type") or "application/octet-stream"),
                size=int(item["size"]),
                sha256=str(item["sha256"]),
            )
            for item in document.get("attachments", [])
        ),
    )


def pin_of_payload(payload: bytes) -> GeoPoint | None:
    """The location pin the citizen shared in the conversation, if any (``channels.pins`` entry)."""
    pin = json.loads(payload).get("location_pin")
    if not isinstance(pin, dict):
        return None
    return GeoPoint.checked(pin.get("latitude"), pin.get("longitude"))
