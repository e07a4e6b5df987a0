"""Status changes pushed to the chat a submission was made in (NOTIFIERS entry for Channel.TELEGRAM).

Runs in the worker's notify job, so it is synchronous around one short-lived ``telegram.Bot``.  The
push goes out under the chat's lock, after every older message the outbox still owes the chat
(``channels.telegram.order``): a chat reads its messages in journal order whichever worker holds
which.  Each message is marked sent as soon as Telegram took it; a failed send raises and the outbox
retries it (a newer one waits for it).  A retry after a send whose success was not recorded sends the
message twice, which is the lesser evil for a status message.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from channels.telegram.bot import quiet_http_logs
from channels.telegram.order import Owed, chat_lock, owed_to_chat, release
from channels.telegram.payload import chat_id_of
from pakn.records import RATINGS, Notification

if TYPE_CHECKING:
    from channels.runtime import Runtime


class TelegramNotifier:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        quiet_http_logs()

    def send(self, notification: Notification) -> None:
        token = self.settings.telegram.bot_token
        if token is None:
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set: cannot reach the chat")
        chat_id = chat_id_of(notification.raw)
        queues = self.runtime.queues
        lock = chat_lock(queues.connection, queues.prefix, chat_id)
        if not lock.acquire():
            raise RuntimeError("the chat stayed busy: another process kept sending to it")
        try:
            messages = self.runtime.catalog.messages
            owed = owed_to_chat(self.runtime.journal.engine, chat_id, self.settings, messages, up_to=notification.id)
            if all(o.notification_id != notification.id for o in owed):
                return  # delivered meanwhile, in its turn, by the bot or another worker
            asyncio.run(self._send(token.get_secret_value(), chat_id, owed))
        finally:
            release(lock)

    async def _send(self, token: str, chat_id: int, owed: list[Owed]) -> None:
        bot = Bot(
            token, base_url=self.settings.telegram.api_base_url, base_file_url=self.settings.telegram.file_base_url
        )
        async with bot:
            for message in owed:
                markup = self._rating_buttons(message.rating_of) if message.rating_of else None
                await bot.send_message(chat_id=chat_id, text=message.text, reply_markup=markup)
                await asyncio.to_thread(self.runtime.journal.outbox.notifications_sent, [message.notification_id])

    def _rating_buttons(self, tracking_code: str) -> InlineKeyboardMarkup:
        """One button per rating, "rate:<1-4>:<code>" (the engine takes it: channels.conversation.engine)."""
        messages = self.runtime.catalog.messages
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        messages.text("notification", f"rating-{rating}"), callback_data=f"rate:{n}:{tracking_code}"
                    )
                ]
                for n, rating in enumerate(RATINGS, start=1)
            ]
        )


def notifier(runtime: Runtime) -> TelegramNotifier:
    return TelegramNotifier(runtime)
