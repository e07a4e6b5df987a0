"""One adapter per channel: it turns what arrives into a journaled raw submission and answers the sender.

``submission_from_journal`` is the way back: the normalizer never sees the wire format, only the
``Submission`` each channel's parser makes of the raw bytes it journaled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from channels.hotline import payloads as hotline_payloads
from channels.text import valid_fields
from config.settings import Settings
from pakn.journal import StoredAmendment, StoredSubmission
from pakn.records import Channel, Submission, SubmissionFields


def _api_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.api import fields_from_raw

    return fields_from_raw(payload)


def _email_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.email.parse import fields_from_raw

    return fields_from_raw(payload, content_type)


def _telegram_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.telegram.payload import fields_of_payload

    return fields_of_payload(payload, content_type)


def _chat_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.chat import fields_from_raw

    return fields_from_raw(payload, content_type)


def _web_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.web.payload import fields_of_payload

    return fields_of_payload(payload, content_type)


# content type of the journaled raw payload → parser of its fields
PARSERS: dict[str, Callable[[bytes, str], SubmissionFields]] = {
    "application/json": _api_fields,
    "application/vnd.pakn.telegram+json": _telegram_fields,
    "application/vnd.pakn.chat+json": _chat_fields,
    "application/vnd.pakn.web+json": _web_fields,  # web form and Open311 (channels/web/payload.py)
    "message/rfc822": _email_fields,
    hotline_payloads.CALL_CONTENT_TYPE: hotline_payloads.call_fields,
    hotline_payloads.SMS_CONTENT_TYPE: hotline_payloads.sms_fields,
}


def fields_of(payload: bytes, content_type: str) -> SubmissionFields:
    parser = PARSERS.get(content_type.split(";")[0].strip().lower())
    if parser is None:
        raise ValueError(f"no parser for journaled content type {content_type!r}")
    # Only valid text goes further (lone surrogates from 8-bit headers or JSON escapes: channels.text).
    return valid_fields(parser(payload, content_type))


def _email_parts(engine: Engine, settings: Settings, submission_id: int, source_id: str, raw: bytes) -> None:
    from channels.email.intake import store_parts

    store_parts(engine, settings, submission_id, source_id, raw)


# content type of a journaled raw payload → what its channel does with it in the worker, before the
# normalizer (work kept off the channel's answer: a mail's attachments are stored here, after the 250)
AFTER_JOURNAL: dict[str, Callable[[Engine, Settings, int, str, bytes], None]] = {
    "message/rfc822": _email_parts,
}


def after_journal(
    engine: Engine, settings: Settings, stored: StoredSubmission, amendments: Sequence[StoredAmendment]
) -> None:
    """Run the channels' worker-side steps for a submission and its completions (each safe to repeat)."""
    for source_id, raw, content_type in (
        (stored.source_id, stored.raw, stored.content_type),
        *((a.source_id, a.raw, a.content_type) for a in amendments),
    ):
        step = AFTER_JOURNAL.get(content_type.split(";")[0].strip().lower())
        if step is not None:
            step(engine, settings, stored.id, source_id, raw)


def submission_from_journal(stored: StoredSubmission, amendments: Sequence[StoredAmendment]) -> Submission:
    """The submission as the normalizer sees it: the first message, then each completion on top."""
    fields = fields_of(stored.raw, stored.content_type)
    for amendment in amendments:
        fields = fields.overlaid_with(fields_of(amendment.raw, amendment.content_type))
    return Submission(
        channel=Channel(stored.channel),
        received_at=stored.received_at,
        fields=fields,
        attachments=fields.attachments,
        source_id=stored.source_id,
        tracking_code=stored.tracking_code,
    )
