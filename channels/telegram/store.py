"""The Telegram channel's conversation store: the shared one (``channels.conversation.store``) on
Telegram's own tables, ``telegram_updates`` and ``telegram_conversations``.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from channels.conversation.store import Commit, Conversation, Stored
from channels.conversation.store import ConversationStore as _SharedStore
from pakn.db import telegram_conversations, telegram_updates

__all__ = ["Commit", "Conversation", "ConversationStore", "Stored"]


class ConversationStore(_SharedStore):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, telegram_updates, telegram_conversations)
