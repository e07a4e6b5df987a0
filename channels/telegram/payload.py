"""The raw submission a Telegram conversation journals, and the parser that reads it back.

A conversation has no single message to keep: what is journaled is every answer exactly as the
citizen typed it (the normalizer repairs and checks them again), the location pin, the attachments'
metadata, and who and which update confirmed it.
"""

from __future__ import annotations

import json
from typing import Any

from pakn.records import Attachment, SubmissionFields

CONTENT_TYPE = "application/vnd.pakn.telegram+json"
FIELDS = ("content", "location", "incident_time", "name", "phone")


def build_payload(
    *,
    chat_id: int,
    user_id: int | None,
    conversation_id: str,
    confirmed_update_id: int,
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


def chat_id_of(payload: bytes) -> int:
    """Where to push status changes: the chat the submission was made in."""
    return int(json.loads(payload)["chat_id"])


def fields_of_payload(payload: bytes, content_type: str) -> SubmissionFields:
    """The fields of a journaled conversation (PARSERS entry)."""
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
