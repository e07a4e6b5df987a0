"""The python-telegram-bot ``Application`` around the conversation, in polling or webhook mode.

One ``TypeHandler`` takes every update: it skips an update handled before, downloads an attachment
(kept by SHA-256 under PAKN_DATA_DIR/attachments), lets the conversation decide in a thread (it uses
the journal) and sends the replies, under the chat's lock and after the status messages owed to the chat
(``channels.telegram.order``).  Updates are handled in order (no concurrent updates), which is what a
conversation needs.  Logs carry update ids and kinds, never what the citizen wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from channels.conversation.files import keep
from channels.runtime import Runtime
from channels.telegram.conversation import Incoming, Reply, TelegramConversations
from channels.telegram.order import BOT_WAIT_SECONDS, chat_lock, owed_to_chat, release
from channels.text import valid_text

log = logging.getLogger(__name__)

ENGINE = "pakn_engine"
FAILED = "pakn_failed_updates"


def build_application(runtime: Runtime, *, polling: bool) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, pointed at TELEGRAM_API_BASE_URL; without an updater in webhook mode (the web app feeds it)."""
    settings = runtime.settings
    if settings.telegram.bot_token is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    quiet_http_logs()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram.bot_token.get_secret_value())
        .base_url(settings.telegram.api_base_url)
        .base_file_url(settings.telegram.file_base_url)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[ENGINE] = TelegramConversations(runtime)
    application.bot_data[FAILED] = set()
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs hold the bot token."""
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    engine: TelegramConversations = context.bot_data[ENGINE]
    if await asyncio.to_thread(engine.store.seen, update.update_id):
        log.info("telegram update %d seen before: ignored", update.update_id)
        return
    incoming = await incoming_of(update, context, engine)
    chat_id = incoming.chat_id if incoming.private and isinstance(incoming.chat_id, int) else None
    async with in_chat_order(context.bot, engine, chat_id) as ordered:
        outcome = await asyncio.to_thread(engine.handle, incoming)
        if outcome.duplicate:
            return
        query = update.callback_query
        if query is not None:
            with contextlib.suppress(Exception):  # the button's spinner: cosmetic
                await query.answer()
            if query.message is not None and isinstance(query.message, Message):
                with contextlib.suppress(Exception):  # the summary's buttons are spent either way
                    await query.edit_message_reply_markup(None)
        if incoming.chat_id is not None:
            for reply in outcome.replies:
                if ordered and chat_id is not None and reply.after_message is not None:
                    await _deliver_owed(context.bot, engine, chat_id, up_to=reply.after_message)
                await send(context.bot, incoming.chat_id, reply, engine)


@contextlib.asynccontextmanager
async def in_chat_order(bot: Any, engine: TelegramConversations, chat_id: int | None) -> AsyncIterator[bool]:
    """Answer an update under the chat's lock, after the messages the outbox still owes the chat.

    So a ``/tracuu`` answer is never older than a status already pushed: what was told before its status
    was read goes first (``Reply.after_message``), and a push made after waits for the answer
    (``channels.telegram.order``).  Without the lock (Redis away: no worker pushes either; or held past
    BOT_WAIT_SECONDS) the update is answered all the same; yields whether the chat's sends are ordered.
    """
    if chat_id is None:
        yield False
        return
    try:
        queues = engine.runtime.queues
        lock = chat_lock(queues.connection, queues.prefix, chat_id)
        held = await asyncio.to_thread(lock.acquire, blocking_timeout=BOT_WAIT_SECONDS)
        no_redis = False
    except (RedisError, OSError) as error:
        log.warning("telegram chat lock unavailable (%s): answering without it", type(error).__name__)
        held, no_redis = False, True
    if not held and not no_redis:
        log.warning("telegram chat busy past %d s: answering without its lock", BOT_WAIT_SECONDS)
    try:
        if held or no_redis:
            await _deliver_owed(bot, engine, chat_id)
        yield held or no_redis
    finally:
        if held:
            await asyncio.to_thread(release, lock)


async def _deliver_owed(bot: Any, engine: TelegramConversations, chat_id: int, up_to: int | None = None) -> None:
    """Send, oldest first, what the outbox owes the chat; on a failure the rest is left to the notify jobs."""
    runtime = engine.runtime
    journal = runtime.journal
    owed = await asyncio.to_thread(
        owed_to_chat, journal.engine, chat_id, runtime.settings, runtime.catalog.messages, up_to
    )
    for message in owed:
        try:
            await bot.send_message(chat_id=chat_id, text=message.text)
        except Exception as error:
            log.warning("message %d not delivered before the answer: %s", message.notification_id, type(error).__name__)
            return
        await asyncio.to_thread(journal.outbox.notifications_sent, [message.notification_id])


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log without personal data; the webhook answers 500 for this update so Telegram delivers it again."""
    update_id = update.update_id if isinstance(update, Update) else None
    if update_id is not None:
        context.bot_data[FAILED].add(update_id)
    error = context.error
    log.error("telegram update %s failed: %s", update_id, type(error).__name__ if error else "?", exc_info=error)


async def send(bot: Any, chat_id: int | str, reply: Reply, engine: TelegramConversations) -> None:
    await bot.send_message(chat_id=chat_id, text=reply.text, reply_markup=_markup(reply, engine))


def _markup(reply: Reply, engine: TelegramConversations) -> Any:
    text = engine.messages.text
    if reply.keyboard == "contact":
        button = KeyboardButton(text("telegram", "button-contact"), request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if reply.keyboard == "confirm":
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        text("telegram", "button-confirm"), callback_data=f"confirm:{reply.conversation_id}"
                    ),
                    InlineKeyboardButton(
                        text("telegram", "button-cancel"), callback_data=f"cancel:{reply.conversation_id}"
                    ),
                ]
            ]
        )
    if reply.keyboard == "remove":
        return ReplyKeyboardRemove()
    return None


async def incoming_of(update: Update, context: ContextTypes.DEFAULT_TYPE, engine: TelegramConversations) -> Incoming:
    """What the conversation needs to know of an update (attachments downloaded and stored first)."""
    chat = update.effective_chat
    user = update.effective_user
    base: dict[str, Any] = {
        "update_id": update.update_id,
        "chat_id": chat.id if chat else None,
        "private": chat is not None and chat.type == "private",
        "user_id": user.id if user else None,
    }
    if update.callback_query is not None:
        return Incoming(kind="callback", callback_data=update.callback_query.data or "", **base)
    message = update.message
    if message is None:  # edits, channel posts, membership changes: nothing to answer
        return Incoming(kind="other", **{**base, "chat_id": None})
    text = valid_text(message.text or "")  # only valid text goes further: channels.text
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        return Incoming(kind="command", command=command, args=args.strip(), **base)
    if text:
        return Incoming(kind="text", text=text, **base)
    if message.location is not None:
        return Incoming(
            kind="location", latitude=message.location.latitude, longitude=message.location.longitude, **base
        )
    if message.contact is not None:
        return Incoming(
            kind="contact",
            phone=valid_text(message.contact.phone_number),
            contact_user_id=message.contact.user_id,
            **base,
        )
    if message.photo or message.document:
        return await _attachment(message, context, engine, base)
    return Incoming(kind="other", **base)


async def _attachment(
    message: Message, context: ContextTypes.DEFAULT_TYPE, engine: TelegramConversations, base: dict[str, Any]
) -> Incoming:
    limit = engine.settings.telegram.max_attachment_bytes
    caption = valid_text(message.caption or "")
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        file_id, unique_id, size = photo.file_id, photo.file_unique_id, photo.file_size
        file_name, mime_type, kind = f"{unique_id}.jpg", "image/jpeg", "photo"
    else:
        document = message.document
        assert document is not None
        file_id, unique_id, size = document.file_id, document.file_unique_id, document.file_size
        file_name = valid_text(document.file_name or unique_id)
        mime_type, kind = valid_text(document.mime_type or "application/octet-stream"), "document"
    if size is not None and size > limit:
        return Incoming(kind="attachment", attachment_too_large=True, text=caption, **base)
    telegram_file = await context.bot.get_file(file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > limit:
        return Incoming(kind="attachment", attachment_too_large=True, text=caption, **base)
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(keep, engine.settings.pakn_data_dir / "attachments", digest, data)
    attachment = {
        "kind": kind,
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_name": file_name,
        "mime_type": mime_type,
        "size": len(data),
        "sha256": digest,
    }
    return Incoming(kind="attachment", attachment=attachment, text=caption, **base)


async def sweep_idle_forever(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close conversations left unanswered past CHATBOT_IDLE_TIMEOUT_SECONDS, telling the citizen."""
    engine: TelegramConversations = application.bot_data[ENGINE]
    interval = engine.settings.chatbot.sweep_interval_seconds
    while True:
        try:
            for chat_id, reply in await asyncio.to_thread(engine.expire_idle):
                await send(application.bot, chat_id, reply, engine)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the next round tries again
            log.warning("telegram idle sweep failed: %s", type(error).__name__)
        await asyncio.sleep(interval)


async def run_polling(runtime: Runtime) -> None:
    """Development mode: long-poll getUpdates until SIGTERM/SIGINT.

    Updates fetched but not yet confirmed when the process dies come again at the next start; the
    update ids in the journal make the second delivery a no-op.
    """
    application = build_application(runtime, polling=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        assert application.updater is not None
        await application.start()
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)
        sweeper = asyncio.create_task(sweep_idle_forever(application))
        log.info("telegram bot polling %s", runtime.settings.telegram.api_base_url)
        await stop.wait()
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await application.updater.stop()
        await application.stop()
