"""One adapter per channel: it turns what arrives into a journaled raw submission and answers the sender.

``submission_from_journal`` is the way back: the normalizer never sees the wire format, only the
``Submission`` each channel's parser makes of the raw bytes it journaled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pakn.journal import StoredAmendment, StoredSubmission
from pakn.records import Channel, Submission, SubmissionFields


def _api_fields(payload: bytes, content_type: str) -> SubmissionFields:
    from channels.api import fields_from_raw

    return fields_from_raw(payload)


# content type of the journaled raw payload → parser of its fields
PARSERS: dict[str, Callable[[bytes, str], SubmissionFields]] = {
    "application/json": _api_fields,
}


def fields_of(payload: bytes, content_type: str) -> SubmissionFields:
    parser = PARSERS.get(content_type.split(";")[0].strip().lower())
    if parser is None:
        raise ValueError(f"no parser for journaled content type {content_type!r}")
    return parser(payload, content_type)


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
