"""Every channel's reader of what it journaled, in one declared list: content type → parser.

The app hands this ``Readers`` to whoever reads journaled bytes back (the worker's jobs, ``pakn normalize``),
and the chat platforms hand it to the chat engine (whose payload module is listed here); ``channels.identity``
imports it.  Adding a channel: one line here; its parser lives in a module of its own, with no web or
intake code, so that this list imports no circle.
"""

from __future__ import annotations

from channels import api_payload, chat
from channels.email import parse as email_parse
from channels.email import worker as email_worker
from channels.hotline import payloads as hotline_payloads
from channels.reading import Readers
from channels.telegram import payload as telegram_payload
from channels.web import payload as web_payload
from channels.zalo import payload as zalo_payload

__all__ = ["READERS"]

READERS = Readers(
    parsers={
        api_payload.CONTENT_TYPE: api_payload.fields_from_raw,
        telegram_payload.CONTENT_TYPE: telegram_payload.fields_of_payload,
        zalo_payload.CONTENT_TYPE: zalo_payload.fields_of_payload,
        chat.CONTENT_TYPE: chat.fields_from_raw,
        web_payload.CONTENT_TYPE: web_payload.fields_of_payload,  # web form and Open311
        email_parse.CONTENT_TYPE: email_parse.fields_from_raw,
        hotline_payloads.CALL_CONTENT_TYPE: hotline_payloads.call_fields,
        hotline_payloads.SMS_CONTENT_TYPE: hotline_payloads.sms_fields,
    },
    in_worker={email_parse.CONTENT_TYPE: email_worker.read_in_worker},
)
