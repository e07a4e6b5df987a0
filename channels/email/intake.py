"""What the SMTP listener and the IMAP poller do with one received mail, the same way.

1. Its source identity: the Message-ID, else a SHA-256 of the bytes.
2. A reply to one of our answers (our Message-ID in In-Reply-To/References, or the tracking code in
   the subject from the same sender) completes that submission with ``journal.amend`` while it is
   ``needs_information``; otherwise the mail is journaled as a new submission (nothing is dropped).
3. After the commit: the normalizer woken up (if Redis is down, the sweeper does it later).  The
   attachments are stored by the worker (``store_parts``), from the journaled raw mail: nothing but the
   journal's commit stands between a mail and its ``250``.

Logs carry ids and counts only, never addresses or text.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select

from channels.email.attachments import AttachmentPolicy, store_attachments
from channels.email.loops import automatic_kind
from channels.email.parse import COMPLETION_CONTENT_TYPE, CONTENT_TYPE, Mail, parse_mail, source_id
from config.settings import Settings
from pakn.db import amendments, email_outbound, utcnow
from pakn.journal import RawSubmission
from pakn.records import Channel
from pakn.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Taken:
    """The outcome for one mail: its submission, and how it was taken."""

    submission_id: int
    tracking_code: str
    outcome: str  # new | duplicate | completion


class MailIntake:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.journal = runtime.journal

    # --- completions -----------------------------------------------------------------------------------------
    def completion_target(self, mail: Mail) -> tuple[int, str] | None:
        """The submission this mail replies to, if any: (id, tracking code)."""
        ids = mail.thread_ids
        if ids:
            with self.journal.engine.connect() as conn:
                row = conn.execute(
                    select(email_outbound.c.submission_id).where(email_outbound.c.message_id.in_(ids)).limit(1)
                ).first()
            if row is not None:
                stored = self.journal.get(row.submission_id)
                if stored is not None:
                    return (stored.id, stored.tracking_code)
        for code in mail.tracking_codes():
            stored = self.journal.get_by_code(code)
            if stored is None or stored.channel is not Channel.EMAIL:
                continue
            original = parse_mail(stored.raw)
            sender = (mail.reply_to or mail.from_address or "").lower()
            if sender and sender in {(original.reply_to or "").lower(), (original.from_address or "").lower()}:
                return (stored.id, stored.tracking_code)
        return None

    def try_complete(self, raw: bytes, mail: Mail, source: str) -> Taken | None:
        """Amend the submission this mail answers; None when it is not a completion we can take."""
        if automatic_kind(mail, self.runtime.settings.email_own_addresses):
            return None  # an auto-reply to our question answers nothing: journaled apart, never a case
        target = self.completion_target(mail)
        if target is None:
            return None
        submission_id, code = target
        with self.journal.engine.connect() as conn:
            seen = conn.execute(
                select(amendments.c.id).where(
                    amendments.c.submission_id == submission_id, amendments.c.source_id == source
                )
            ).first()
        if seen is not None:
            return Taken(submission_id, code, "duplicate")
        raw_submission = RawSubmission(Channel.EMAIL, source, raw, COMPLETION_CONTENT_TYPE, utcnow())
        if not self.journal.amend(submission_id, raw_submission):
            return None  # not waiting for information (any more): a new submission then
        with contextlib.suppress(Exception):
            self.runtime.queues.enqueue_normalize([submission_id])
        log.info("email completion of submission %d", submission_id)
        return Taken(submission_id, code, "completion")

    # --- one mail, synchronously (IMAP, backfill) ------------------------------------------------------------
    def take(self, raw: bytes) -> Taken:
        """Journal one mail (or complete a submission with it); committed when this returns."""
        mail = parse_mail(raw)
        source = source_id(raw, mail.message)
        completed = self.try_complete(raw, mail, source)
        if completed is not None:
            return completed
        (receipt,) = self.journal.record([RawSubmission(Channel.EMAIL, source, raw, CONTENT_TYPE, utcnow())])
        if not receipt.duplicate:
            with contextlib.suppress(Exception):
                self.runtime.queues.enqueue_normalize([receipt.submission_id])
        return Taken(receipt.submission_id, receipt.tracking_code, "duplicate" if receipt.duplicate else "new")


def store_parts(engine: Engine, settings: Settings, submission_id: int, source: str, raw: bytes) -> None:
    """Keep a journaled mail's attachments by SHA-256 and record each part once (safe to repeat).

    The worker runs this before the normalizer, from the journaled bytes: the listener has already
    answered ``250``.  A failure is logged, never fatal: the raw mail in the journal still holds every part.
    """
    try:
        mail = parse_mail(raw)
        if not mail.parts:
            return
        judged = store_attachments(
            engine, settings.pakn_data_dir, submission_id, source, mail.parts, AttachmentPolicy.from_settings(settings)
        )
    except Exception:
        log.exception("attachments of submission %d not stored", submission_id)
        return
    refused = sum(1 for item in judged if not hasattr(item, "sha256"))
    log.info("submission %d: %d attachments kept, %d refused", submission_id, len(judged) - refused, refused)
