"""Answers by SMS through the ``twilio`` client: to SMS senders, and to hotline callers on a mobile.

Each outbox notification is sent at most once as far as we can tell: the Twilio message SID is stored
against the notification id, and a retried send whose SID is known does nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from twilio.rest import Client

from channels.hotline import store
from channels.hotline.payloads import CallLog, form_params
from config.catalog import load_catalog
from normalizer.fields.phones import normalize_phone
from pakn.notify import Notifier, NotSendable
from pakn.records import Notification
from pakn.secret_keys import completion_link

if TYPE_CHECKING:
    from channels.runtime import Runtime
    from config.settings import Settings

log = logging.getLogger(__name__)


class NotConfigured(NotSendable):
    """Twilio credentials or the sender number are missing: the message is kept as not sendable, not retried."""


def sms_not_configured(settings: Settings) -> str | None:
    """Why no SMS can be sent (None: Twilio is configured)."""
    token = settings.hotline.twilio_auth_token
    if not settings.hotline.twilio_account_sid or token is None or not settings.hotline.twilio_from_number:
        return load_catalog(settings.data_dir).messages.text("settings-check", "sms-not-configured")
    return None


def hotline_not_configured(settings: Settings) -> str | None:
    """Why hotline callers get no SMS although HOTLINE_SMS_TO_CALLERS asks for it (None: they can)."""
    return sms_not_configured(settings) if settings.hotline.sms_to_callers else None


def twilio_client(runtime: Runtime) -> Client:
    settings = runtime.settings
    token = settings.hotline.twilio_auth_token
    reason = sms_not_configured(settings)
    if reason or token is None:
        raise NotConfigured(reason)
    client = Client(settings.hotline.twilio_account_sid, token.get_secret_value())
    if settings.hotline.twilio_api_base_url:
        client.api.base_url = settings.hotline.twilio_api_base_url.rstrip("/")
    return client


class TwilioSms:
    """Sends a notification as one SMS to the number ``recipient`` finds in the journaled payload."""

    def __init__(self, runtime: Runtime, *, callers: bool) -> None:
        self.runtime = runtime
        self.callers = callers  # hotline calls: text the caller only if they called from a mobile

    def recipient(self, notification: Notification) -> str | None:
        if not self.callers:
            return dict(form_params(notification.raw)).get("From") or None
        if not self.runtime.settings.hotline.sms_to_callers:
            return None
        phone = CallLog.model_validate_json(notification.raw).phone
        if not phone:
            return None
        result = normalize_phone(phone)
        return result.e164 if result.valid and result.kind == "mobile" else None

    def text(self, notification: Notification) -> str:
        """The SMS: the channel's short wording where it has one (``sms-<kind>``: a reminder, a closing), for a
        message read on a phone and paid by the segment; else the message every channel gets."""
        messages = self.runtime.catalog.messages
        prefix = messages.text("hotline", "sms-prefix")
        short = f"sms-{notification.kind}"
        if not messages.has("hotline", short):
            return prefix + notification.message
        url = completion_link(self.runtime.settings, notification.tracking_code)
        return prefix + messages.text("hotline", short, tracking_code=notification.tracking_code, url=url)

    def send(self, notification: Notification) -> None:
        to = self.recipient(notification)
        if to is None:
            return  # nobody to text (a landline caller, or SMS to callers switched off): status URL only
        engine = self.runtime.journal.engine
        if store.sms_sent_for(engine, notification.id):
            return
        client = twilio_client(self.runtime)
        message = client.messages.create(
            to=to, from_=self.runtime.settings.hotline.twilio_from_number, body=self.text(notification)
        )
        store.remember_sms(engine, notification.id, str(message.sid))
        log.info("SMS %s sent for %s (%s)", message.sid, notification.tracking_code, notification.kind)


def sms_notifier(runtime: Runtime) -> Notifier:
    return TwilioSms(runtime, callers=False)


def hotline_notifier(runtime: Runtime) -> Notifier:
    return TwilioSms(runtime, callers=True)
