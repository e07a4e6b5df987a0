"""Messages owed to citizens, sent on the channel each submission came from.

The journal's ``notifications`` table is an outbox: a row is written in the same transaction as the
verdict (or reminder, or closing) it reports, then a ``notify`` job sends it through the notifier of
the submission's channel.  A failed send is retried with backoff; the sweeper finds rows whose job
was lost.  A channel without push (the JSON API: the citizen polls the status URL) has a notifier
that only records the message as delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from pakn.records import Channel

if TYPE_CHECKING:
    from config.settings import Settings
    from pakn.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one citizen, with what a channel needs to reach them and to thread the answer."""

    id: int
    submission_id: int
    tracking_code: str
    channel: Channel
    source_id: str  # the submission's source identity (Message-ID, chat id:update id, CallSid, ...)
    raw: bytes  # the submission's journaled raw payload: the sender's address, chat id, phone, ...
    content_type: str
    kind: str  # accepted | needs_information | rejected | reminder | closed | forwarded | status
    message: str  # Vietnamese text from config/data/messages.vi.toml, already filled in
    created_at: datetime
    attempts: int


class Notifier(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver, or raise: the outbox retries later (so a send must be safe to repeat).

        Raise ``NotSendable`` when this configuration can never send it (a channel with no credentials):
        the message is then kept as not sendable, visible, and not retried."""


class NotSendable(RuntimeError):
    """The channel is not configured to send: retrying cannot help until someone configures it."""


# The journal's last_error of a message kept as not sendable starts with this (see `pakn stats --json`).
NOT_SENDABLE = "not-sendable: "


class RecordOnly:
    """For channels where the citizen reads answers at the status URL: nothing to push."""

    def send(self, notification: Notification) -> None:
        return None


# channel → "module:factory"; the factory takes the Runtime and returns a Notifier.  Each channel
# module registers itself here with one line.
NOTIFIERS: dict[Channel, str] = {
    Channel.API: "pakn.notify:record_only",
    Channel.TELEGRAM: "channels.telegram.notify:notifier",
    Channel.EMAIL: "channels.email.notifier:notifier",
    Channel.HOTLINE: "channels.hotline.sms:hotline_notifier",
    Channel.SMS: "channels.hotline.sms:sms_notifier",
}


# channel → "module:function"; the function takes the Settings and says why that channel's notifier cannot
# send (None: it can).  Reported once when the sweeper starts and by `pakn settings`.
READINESS: dict[Channel, str] = {
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


def record_only(_runtime: Runtime) -> Notifier:
    return RecordOnly()


def notifier_for(channel: Channel, runtime: Runtime) -> Notifier:
    target = NOTIFIERS.get(channel, "pakn.notify:record_only")
    module, _, name = target.partition(":")
    factory: Callable[[Runtime], Notifier] = getattr(import_module(module), name)
    return factory(runtime)
