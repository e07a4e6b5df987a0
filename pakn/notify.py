"""Messages owed to citizens, sent on the channel each submission came from.

The journal's ``notifications`` table is an outbox: a row is written in the same transaction as the
verdict (or reminder, or closing) it reports, then a ``notify`` job sends it through the notifier of
the submission's channel.  A failed send is retried with backoff; the sweeper finds rows whose job
was lost.  A channel without push (the JSON API: the citizen polls the status URL) has a notifier
that only records the message as delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import import_module
from typing import Protocol

from config.catalog import Messages
from config.settings import Settings
from pakn.records import Channel, Notification
from pakn.secret_keys import answer_link, completion_link, rating_link

# Messages that ask the citizen for more: sent with the link to the web completion page (its token in it).
ASKING = ("needs_information", "reminder")
# A question of the case store (pakn.journal.loop.QUESTION_KIND): sent with the lookup page's reply form link.
QUESTION = "case-question"
# The request to rate the answer (pakn.journal.ratings.RATING_KIND): sent with the rating page's link, and on
# the channels where a typed number answers it (chats, SMS) with how to.
RATING = "rating-request"
TYPED_RATING_CHANNELS = (Channel.TELEGRAM, Channel.ZALO, Channel.SMS)


class Notifier(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver, or raise: the outbox retries later (so a send must be safe to repeat).

        Raise ``NotSendable`` when this configuration can never send it (a channel with no credentials):
        the message is then kept as not sendable, visible, and not retried."""


def text_as_sent(kind: str, tracking_code: str, message: str, settings: Settings, messages: Messages) -> str:
    """A message as a channel sends it: a request for information gets the completion page's link here,
    when sent, so that the journal's copy (which public status views show) never holds the token."""
    if kind == RATING:
        return f"{message}\n{messages.text('notification', 'rating-link', url=rating_link(settings, tracking_code))}"
    if kind == QUESTION:
        return f"{message}\n{messages.text('notification', 'answer-link', url=answer_link(settings, tracking_code))}"
    if kind not in ASKING:
        return message
    link = messages.text("notification", "complete-link", url=completion_link(settings, tracking_code))
    return f"{message}\n{link}"


def as_sent(notification: Notification, settings: Settings, messages: Messages) -> Notification:
    text = text_as_sent(notification.kind, notification.tracking_code, notification.message, settings, messages)
    if notification.kind == RATING and notification.channel in TYPED_RATING_CHANNELS:
        text = f"{text}\n{messages.text('notification', 'rating-reply-hint')}"
    return replace(notification, message=text)


class NotSendable(RuntimeError):
    """The channel is not configured to send: retrying cannot help until someone configures it."""


class RecordOnly:
    """For channels where the citizen reads answers at the status URL: nothing to push."""

    def send(self, notification: Notification) -> None:
        return None


# channel → "module:factory"; the factory takes the process's runtime (``pakn.app.runtime.Runtime``, which this
# module only passes on) and returns a Notifier.  Each channel
# module registers itself here with one line.
NOTIFIERS: dict[Channel, str] = {
    Channel.API: "pakn.notify:record_only",
    Channel.TELEGRAM: "channels.telegram.notify:notifier",
    Channel.ZALO: "channels.zalo.notify:notifier",
    Channel.EMAIL: "channels.email.notifier:notifier",
    Channel.HOTLINE: "channels.hotline.sms:hotline_notifier",
    Channel.SMS: "channels.hotline.sms:sms_notifier",
}


# channel → "module:function"; the function takes the Settings and says why that channel's notifier cannot
# send (None: it can).  Reported once when the sweeper starts and by `pakn settings`.
READINESS: dict[Channel, str] = {
    Channel.ZALO: "channels.zalo.oa:not_ready",
    Channel.HOTLINE: "channels.hotline.sms:hotline_not_configured",
    Channel.SMS: "channels.hotline.sms:sms_not_configured",
}


def unsendable(settings: Settings) -> dict[Channel, str]:
    """The channels whose messages cannot be sent with these settings, and why."""
    found: dict[Channel, str] = {}
    for channel, target in READINESS.items():
        module, _, name = target.partition(":")
        check: Callable[[Settings], str | None] = getattr(import_module(module), name)
        reason = check(settings)
        if reason:
            found[channel] = reason
    return found


def record_only(_runtime: object) -> Notifier:
    return RecordOnly()


def notifier_for(channel: Channel, runtime: object) -> Notifier:
    target = NOTIFIERS.get(channel, "pakn.notify:record_only")
    module, _, name = target.partition(":")
    factory: Callable[[object], Notifier] = getattr(import_module(module), name)
    return factory(runtime)
