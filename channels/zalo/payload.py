"""The raw submission a Zalo conversation journals: the shared conversation payload
(``channels.conversation.payload``) under Zalo's content type; its chat is the Zalo user id (a string).
"""

from __future__ import annotations

from channels.conversation.payload import build_payload, chat_of, fields_of_payload

__all__ = ["CONTENT_TYPE", "build_payload", "fields_of_payload", "user_id_of"]

CONTENT_TYPE = "application/vnd.pakn.zalo+json"


def user_id_of(payload: bytes) -> str:
    """The Zalo user the OA answers: the one the submission was made by."""
    return str(chat_of(payload))
