"""Reading journaled raw bytes back into fields, by content type: the normalizer never sees the wire format,
only the ``Submission`` each channel's parser makes of the bytes it journaled.

This module knows no channel: ``channels.readers`` lists each channel's entries in one ``Readers``, and who
reads (the worker, the contact-change check, a chat's completion) is given it, so no package imports every
channel's parser to hand them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from channels.text import valid_fields
from config.settings import Settings
from pakn.records import Channel, StoredAmendment, StoredSubmission, Submission, SubmissionFields

# journaled raw payload and its content type → its fields
Parser = Callable[[bytes, str], SubmissionFields]
# (journal engine, settings, submission id, source id, raw payload, content type) → its fields, the channel's
# worker-side work done from the same parse (a mail's attachments are stored in the worker, after the 250)
WorkerReader = Callable[[Engine, Settings, int, str, bytes, str], SubmissionFields]


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Readers:
    """Each channel's parser by content type, and the worker's readers of those that have work there.

    ``in_worker``: content types whose channel has work to do in the worker besides reading its fields; the
    payload is parsed once, the work done and the fields read from that one parse.  Others: ``parsers``.
    """

    parsers: Mapping[str, Parser]
    in_worker: Mapping[str, WorkerReader] = field(default_factory=dict)

    def fields_of(self, payload: bytes, content_type: str) -> SubmissionFields:
        parser = self.parsers.get(_media_type(content_type))
        if parser is None:
            raise ValueError(f"no parser for journaled content type {content_type!r}")
        # Only valid text goes further (lone surrogates from 8-bit headers or JSON escapes: channels.text).
        return valid_fields(parser(payload, content_type))

    def submission(
        self,
        stored: StoredSubmission,
        amendments: Sequence[StoredAmendment],
        pinned: Mapping[str, str] | None = None,
    ) -> Submission:
        """The submission as the normalizer sees it: the first message, then each completion on top."""
        first = self.fields_of(stored.raw, stored.content_type)
        return overlaid(stored, [first, *(self.fields_of(a.raw, a.content_type) for a in amendments)], pinned)

    def submission_in_worker(
        self,
        engine: Engine,
        settings: Settings,
        stored: StoredSubmission,
        amendments: Sequence[StoredAmendment],
        pinned: Mapping[str, str] | None = None,
    ) -> Submission:
        """The submission as the normalizer sees it, read by the worker: each journaled payload (the first
        message, then each completion) parsed once, its channel's worker-side work done with that parse (each
        safe to repeat).  A payload that cannot be read raises, once every payload's work is done."""
        read: list[SubmissionFields] = []
        error: Exception | None = None
        for source_id, raw, content_type in (
            (stored.source_id, stored.raw, stored.content_type),
            *((a.source_id, a.raw, a.content_type) for a in amendments),
        ):
            reader = self.in_worker.get(_media_type(content_type))
            try:
                if reader is None:
                    read.append(self.fields_of(raw, content_type))
                else:  # only valid text goes further, as from fields_of
                    read.append(valid_fields(reader(engine, settings, stored.id, source_id, raw, content_type)))
            except Exception as unreadable:
                error = error or unreadable
        if error is not None:
            raise error
        return overlaid(stored, read, pinned)


def overlaid(
    stored: StoredSubmission, read: Sequence[SubmissionFields], pinned: Mapping[str, str] | None = None
) -> Submission:
    """The first message's fields, then each completion's on top.

    ``pinned``: identity fields a completion asked to change (``pakn.contact_changes``): the value on file
    until the change is confirmed (a name never is), then the confirmed one, whatever the completions say."""
    fields = read[0]
    for more in read[1:]:
        fields = fields.overlaid_with(more)
    if pinned:
        fields = replace(
            fields,
            name=pinned.get("name", fields.name),
            phone=pinned.get("phone", fields.phone),
            email=pinned.get("email", fields.email),
        )
    return Submission(
        channel=Channel(stored.channel),
        received_at=stored.received_at,
        fields=fields,
        attachments=fields.attachments,
        source_id=stored.source_id,
        tracking_code=stored.tracking_code,
    )
