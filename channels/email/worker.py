"""The worker's side of a journaled mail: its attachments stored, and its fields read, from one parse.

Apart from ``channels.email.intake`` (the listener's side) so that the readers' registry
(``channels.readers``) needs none of the intake's code.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from channels.email.attachments import AttachmentPolicy, store_attachments
from channels.email.parse import Mail, fields_of_mail, parse_mail
from config.settings import Settings
from pakn.records import SubmissionFields

log = logging.getLogger(__name__)


def read_in_worker(
    engine: Engine, settings: Settings, submission_id: int, source: str, raw: bytes, content_type: str
) -> SubmissionFields:
    """The worker's reading of a journaled mail (its ``channels.readers`` in-worker entry): parsed once, its
    attachments stored from that parse, then the fields the normalizer gets from the same parse."""
    mail = parse_mail(raw)
    store_parts(engine, settings, submission_id, source, mail)
    return fields_of_mail(mail, content_type)


def store_parts(engine: Engine, settings: Settings, submission_id: int, source: str, mail: Mail) -> None:
    """Keep a journaled mail's attachments by SHA-256 and record each part once (safe to repeat).

    The worker runs this before the normalizer, from the journaled bytes: the listener has already
    answered ``250``.  A failure is logged, never fatal: the raw mail in the journal still holds every part.
    """
    if not mail.parts:
        return
    try:
        judged = store_attachments(
            engine, settings.pakn_data_dir, submission_id, source, mail.parts, AttachmentPolicy.from_settings(settings)
        )
    except Exception:
        log.exception("attachments of submission %d not stored", submission_id)
        return
    refused = sum(1 for item in judged if not hasattr(item, "sha256"))
    log.info("submission %d: %d attachments kept, %d refused", submission_id, len(judged) - refused, refused)
