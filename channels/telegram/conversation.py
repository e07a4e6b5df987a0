"""The Telegram bot's side of the shared conversation (``channels.conversation.engine``): the engine on
Telegram's tables, payload and messages (section ``[telegram]`` of messages.vi.toml).
"""

from __future__ import annotations

from channels.conversation.engine import CONFIRM, ConversationEngine, Handled, Incoming, Platform, Reply
from channels.readers import READERS
from channels.runtime import Runtime
from channels.telegram.payload import CONTENT_TYPE, build_payload
from channels.telegram.store import ConversationStore
from pakn.records import Channel

__all__ = ["CONFIRM", "Handled", "Incoming", "Reply", "TelegramConversations", "platform"]


def platform(runtime: Runtime) -> Platform:
    settings = runtime.settings
    return Platform(
        channel=Channel.TELEGRAM,
        content_type=CONTENT_TYPE,
        build_payload=build_payload,
        store=ConversationStore(runtime.journal.engine),
        sections=("telegram",),
        max_attachment_bytes=settings.telegram.max_attachment_bytes,
        location_bounds=settings.telegram.location_bounds,
        readers=READERS,
    )


class TelegramConversations(ConversationEngine):
    """The conversation as the Telegram bot holds it."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, platform(runtime))
