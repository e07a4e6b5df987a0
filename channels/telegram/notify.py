"""Status changes pushed to the chat a submission was made in (NOTIFIERS entry for Channel.TELEGRAM).

Runs in the worker's notify job, so it is synchronous around one short-lived ``telegram.Bot``.  A
failed send raises and the outbox retries it; a retry after a send whose success was not recorded
sends the message twice, which is the lesser evil for a status message.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telegram import Bot

from channels.telegram.bot import quiet_http_logs
from channels.telegram.payload import chat_id_of
from config.settings import Settings
from pakn.notify import Notification

if TYPE_CHECKING:
    from pakn.runtime import Runtime


class TelegramNotifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        quiet_http_logs()

    def send(self, notification: Notification) -> None:
        token = self.settings.telegram_bot_token
        if token is None:
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set: cannot reach the chat")
        asyncio.run(self._send(token.get_secret_value(), chat_id_of(notification.raw), notification.message))

    async def _send(self, token: str, chat_id: int, text: str) -> None:
        bot = Bot(
            token, base_url=self.settings.telegram_api_base_url, base_file_url=self.settings.telegram_file_base_url
        )
        async with bot:
            await bot.send_message(chat_id=chat_id, text=text)


def notifier(runtime: Runtime) -> TelegramNotifier:
    return TelegramNotifier(runtime.settings)
