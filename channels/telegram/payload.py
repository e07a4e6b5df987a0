"""The raw submission a Telegram conversation journals: the shared conversation payload
(``channels.conversation.payload``) under Telegram's content type, its chat id a number.
"""

from __future__ import annotations

from typing import Any

from channels.conversation.engine import FIELDS
from channels.conversation.payload import build_payload, chat_of
from channels.conversation.payload import fields_of_payload as _fields_of_payload
from pakn.records import SubmissionFields

__all__ = ["CONTENT_TYPE", "FIELDS", "build_payload", "chat_id_of", "fields_of_payload"]

CONTENT_TYPE = "application/vnd.pakn.telegram+json"


def chat_id_of(payload: bytes) -> int:
    """Where to push status changes: the chat the submission was made in."""
    chat: Any = chat_of(payload)
    return int(chat)


def fields_of_payload(payload: bytes, content_type: str) -> SubmissionFields:
    """The fields of a journaled Telegram conversation (``channels.readers`` entry)."""
    return _fields_of_payload(payload, content_type)
