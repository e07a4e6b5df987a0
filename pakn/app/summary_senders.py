"""How the week's summary reaches leaders: the SMTP relay, the Telegram bot, the Zalo OA.

The app layer's part of ``pakn.app.summary``: it knows the channels, so the sweeper (which knows none) is
handed these by its runtime (``Runtime.summary_senders``).
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx
from sqlalchemy.engine import Engine
from telegram import Bot

from channels.zalo.oa import OaClient, TokenStore, not_configured
from config.settings import Settings
from pakn.app.summary import Senders, from_address


def channel_senders(settings: Settings, engine: Engine) -> Senders:
    """The gateway's own ways out: the SMTP relay, the Telegram bot, the Zalo OA."""

    def by_mail(message: EmailMessage) -> None:
        relay = settings.smtp_relay
        if not relay.host:
            raise RuntimeError("SMTP_RELAY_HOST is not set: cannot mail the summary")
        with smtplib.SMTP(relay.host, relay.port, local_hostname=settings.email.hostname, timeout=30) as smtp:
            if relay.starttls:
                smtp.starttls()
            if relay.user and relay.password:
                smtp.login(relay.user, relay.password.get_secret_value())
            smtp.send_message(message, from_addr=from_address(settings))

    def by_telegram(chat_id: str, body: str) -> None:
        token = settings.telegram.bot_token
        if token is None:
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set: cannot reach the chat")

        async def send() -> None:
            bot = Bot(
                token.get_secret_value(),
                base_url=settings.telegram.api_base_url,
                base_file_url=settings.telegram.file_base_url,
            )
            async with bot:
                await bot.send_message(chat_id=int(chat_id), text=body)

        asyncio.run(send())

    def by_zalo(user_id: str, body: str) -> None:
        reason = not_configured(settings)
        if reason:
            raise RuntimeError(reason)
        with httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0)) as http:
            OaClient(settings, TokenStore(engine, settings, http), http).send_text(user_id, body)

    return Senders(by_mail, by_telegram, by_zalo)
