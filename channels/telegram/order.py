"""One order per chat for everything the bot says: status pushes in journal order, and a reply that
never comes before a push owed earlier.

Two kinds of process talk to a citizen's chat: the bot (web process or ``pakn telegram``) answers each
update, and any worker's notify job pushes the outbox's messages (verdicts, reminders, the case store's
updates).  Left alone they interleave: two workers deliver two pushes in either order, a retried push
arrives after a newer one, a ``/tracuu`` answer read from the journal before a status change reaches
the chat after the push that announced it.

So every send to a chat happens under the chat's lock (a Redis lock, shared by every process of the
gateway, released by timeout if its holder dies), and whoever holds it first delivers every message
the outbox still owes that chat, oldest first, each marked sent as soon as Telegram took it:

- a worker with push N sends the chat's owed messages up to N; if another process sent N meanwhile,
  it has nothing to do;
- the bot, before it reads the journal to answer an update, sends what is owed: a ``/tracuu`` answer
  then tells at least the newest status already pushed, and a push created after it read the journal
  waits for the lock, so it comes after the answer (and is newer than what the answer said).

Without Redis no worker runs (the outbox's jobs live there), so the bot answers without the lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from config.catalog import Messages
from config.settings import Settings
from pakn.db import notifications, submissions
from pakn.notify import RATING, text_as_sent
from pakn.records import Channel

log = logging.getLogger(__name__)

# A holder that died (a SIGKILLed bot) frees the chat after this long, and the citizen's next answer waits
# as long; a holder's turn (what is owed, then the answer: a few sends) takes well under a second.
LOCK_SECONDS = 10
# How long a worker waits for the chat: it then retries its push later (backoff).
WAIT_SECONDS = 10
# How long the bot waits: until a holder that died would have freed the chat.  A slow holder (a loaded
# machine, a slow Bot API) is waited for, so the answer still comes in order; only a lock that cannot be had
# at all (many waiters, Redis trouble) makes the bot answer without it rather than not at all.
BOT_WAIT_SECONDS = LOCK_SECONDS


@dataclass(frozen=True, slots=True)
class Owed:
    """A message of the outbox not yet delivered to this chat."""

    notification_id: int
    text: str
    rating_of: str | None = None  # a request to rate: the case's code, for the rating buttons


def chat_lock(connection: Redis, prefix: str, chat_id: int) -> Any:
    """The chat's lock (redis-py ``Lock``); not thread-local: the bot takes and frees it from different threads."""
    return connection.lock(
        f"{prefix}:telegram-chat:{chat_id}", timeout=LOCK_SECONDS, blocking_timeout=WAIT_SECONDS, thread_local=False
    )


def owed_to_chat(
    engine: Engine, chat_id: int, settings: Settings, messages: Messages, up_to: int | None = None
) -> list[Owed]:
    """The outbox's undelivered messages for the chat's submissions, oldest first (``up_to``: ids up to it),
    as sent (``pakn.notify.text_as_sent``: a request for information with the completion page's link).

    Messages given up or kept as not sendable (no ``due_at``) are not owed any more."""
    query = (
        select(notifications.c.id, notifications.c.kind, notifications.c.message, submissions.c.tracking_code)
        .join(submissions, submissions.c.id == notifications.c.submission_id)
        .where(
            submissions.c.channel == Channel.TELEGRAM.value,
            submissions.c.source_id.startswith(f"{chat_id}:", autoescape=True),
            notifications.c.sent_at.is_(None),
            notifications.c.due_at.is_not(None),
        )
        .order_by(notifications.c.id)
    )
    if up_to is not None:
        query = query.where(notifications.c.id <= up_to)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Owed(
            r.id,
            text_as_sent(r.kind, r.tracking_code, r.message, settings, messages),
            r.tracking_code if r.kind == RATING else None,
        )
        for r in rows
    ]


def release(lock: Any) -> None:
    """Free the chat; a lock that timed out meanwhile (and may be another's now) is left alone."""
    try:
        lock.release()
    except (LockError, RedisError) as error:
        log.warning("telegram chat lock not released: %s", type(error).__name__)
