"""What the SMTP listener and the IMAP poller do with one received mail, the same way.

1. Its source identity: the Message-ID, else a SHA-256 of the bytes.
2. A mail that only quotes a tracking code ("tra cứu PAKN-…" in its subject or text) is a status request,
   answered by mail at once and journaled nowhere (``channels.followup``).  A reply to one of our answers
   (our Message-ID in In-Reply-To/References, or the tracking code in the subject or text from the same
   sender) completes that submission with ``journal.intake.amend`` while it is ``needs_information``;
   otherwise the mail is journaled as a new submission (nothing is dropped).
3. After the commit: the normalizer woken up (if Redis is down, the sweeper does it later).  The
   attachments are stored by the worker (``channels.email.worker``), from the journaled raw mail: nothing
   but the journal's commit stands between a mail and its ``250``.  The worker parses each journaled mail
   once: the attachments are stored and the fields read from that one parse.

Logs carry ids and counts only, never addresses or text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from channels.email.loops import automatic_kind
from channels.email.notifier import LOOKUP_KIND, EmailNotifier
from channels.email.parse import (
    COMPLETION_CONTENT_TYPE,
    CONTENT_TYPE,
    Mail,
    completion_identity,
    parse_mail,
    source_id,
)
from channels.followup import Completes, Lookup, complete, followup_of
from channels.intake import DirectIntake, Refusal
from channels.loop import take_answer
from channels.runtime import Runtime
from channels.status import status_text
from pakn.db import email_outbound, utcnow
from pakn.journal.loop import QUESTION_KIND
from pakn.records import Channel, OpenQuestion, RawSubmission, StoredSubmission, SubmissionFields

log = logging.getLogger(__name__)

# Where a status answer's texts come from: the mail's own, then the chat's (lookup-found, lookup-reasons).
SECTIONS = ("email", "telegram")


@dataclass(frozen=True, slots=True)
class Taken:
    """The outcome for one mail: its submission, and how it was taken."""

    submission_id: int
    tracking_code: str
    outcome: str  # new | duplicate | completion | lookup | answer


class NotJournaled(RuntimeError):
    """The journal refused a mail (it could not store it now): nothing was acknowledged."""


class MailIntake:
    def __init__(self, runtime: Runtime, intake: DirectIntake | None = None) -> None:
        """``intake``: how ``take`` journals a new mail (IMAP, backfill).  The SMTP listener journals new
        mail through the app's intake itself and uses this only for completions (``try_complete``)."""
        self.runtime = runtime
        self.journal = runtime.journal
        self.intake = intake

    # --- later mails: status requests and completions (channels.followup) -----------------------------------
    def completion_target(self, mail: Mail, quoted: str | None = None) -> Completes | None:
        """The submission this mail replies to, if any: our answer in its thread, else a code in its subject
        (or ``quoted`` in its text) of a submission by the same sender."""
        ids = mail.thread_ids
        if ids:
            with self.journal.engine.connect() as conn:
                row = conn.execute(
                    select(email_outbound.c.submission_id)
                    .where(email_outbound.c.message_id.in_(ids), email_outbound.c.kind != LOOKUP_KIND)
                    .limit(1)
                ).first()
            if row is not None:
                stored = self.journal.reading.get(row.submission_id)
                if stored is not None:
                    return Completes(stored.id, stored.tracking_code)
        for code in dict.fromkeys((*mail.tracking_codes(), *((quoted,) if quoted else ()))):
            stored = self.journal.reading.get_by_code(code)
            if stored is not None and _same_sender(mail, stored):
                return Completes(stored.id, stored.tracking_code)
        return None

    # --- answers to the case store's questions (channels.loop) -----------------------------------------------
    def question_answered(self, mail: Mail) -> OpenQuestion | None:
        """The open question this mail answers: a reply in the thread of the mail that relayed it, else a
        mail from the submission's sender with its code in the subject while a question waits."""
        ids = mail.thread_ids
        if ids:
            with self.journal.engine.connect() as conn:
                relayed = conn.execute(
                    select(email_outbound.c.notification_id).where(
                        email_outbound.c.message_id.in_(ids),
                        email_outbound.c.kind == QUESTION_KIND,
                        email_outbound.c.notification_id.is_not(None),
                    )
                ).scalars()
                notification_ids = [int(i) for i in relayed]
            question = self.journal.loop.open_question_relayed_by(notification_ids)
            if question is not None:
                return question
        for code in mail.tracking_codes():
            stored = self.journal.reading.get_by_code(code)
            if stored is not None and _same_sender(mail, stored):
                question = self.journal.loop.open_question(stored.id)
                if question is not None:
                    return question
        return None

    def try_answer(self, mail: Mail, source: str) -> Taken | None:
        """Take the mail as the answer to an open question; the same mail again is that answer still."""
        earlier = self.journal.loop.answered_by(source)
        if earlier is not None:
            return Taken(earlier[0], earlier[1], "duplicate")
        question = self.question_answered(mail)
        if question is None:
            return None
        if not take_answer(self.runtime, question, Channel.EMAIL, source, mail.text):
            return None  # empty, or answered in between: read as any other mail
        return Taken(question.submission_id, question.tracking_code, "answer")

    def try_complete(self, raw: bytes, mail: Mail, source: str) -> Taken | None:
        """Answer a status request or amend the submission this mail answers; None: a new submission.

        A status request is answered before this returns (raises when the relay fails: not acknowledged).
        """
        if automatic_kind(mail, self.runtime.settings.email.addresses):
            return None  # an auto-reply to our question answers nothing: journaled apart, never a case
        found = followup_of([mail.subject, mail.text], lambda code: self.completion_target(mail, code))
        if isinstance(found, Lookup):
            return self._answer_lookup(mail, source, found.code)
        answered = self.try_answer(mail, source)
        if answered is not None:
            return answered
        if found is None:
            return None
        if self.journal.reading.has_amendment(found.submission_id, source):
            return Taken(found.submission_id, found.tracking_code, "duplicate")
        raw_submission = RawSubmission(Channel.EMAIL, source, raw, COMPLETION_CONTENT_TYPE, utcnow())
        # Another phone or address in the reply (a forwarded mail answered by someone else, a new signature)
        # is not applied: recorded, and confirmed by a code mailed to the original sender (channels.identity).
        if not complete(self.runtime, found, raw_submission, _completion_identity(mail)):
            return None  # not waiting for information (any more): a new submission then
        return Taken(found.submission_id, found.tracking_code, "completion")

    def _answer_lookup(self, mail: Mail, source: str, code: str) -> Taken | None:
        stored = self.journal.reading.get_by_code(code)
        if stored is None:
            return None  # no such submission: journaled as a mail like any other, and answered as such
        status = status_text(self.journal.reading.get_by_code, self.runtime.catalog.messages, SECTIONS, code)
        EmailNotifier(self.runtime).answer_lookup(mail, source, stored.id, stored.tracking_code, status)
        log.info("email status request for submission %d answered", stored.id)
        return Taken(stored.id, stored.tracking_code, "lookup")

    # --- one mail, synchronously (IMAP, backfill) ------------------------------------------------------------
    def take(self, raw: bytes) -> Taken:
        """Journal one mail (or complete a submission with it); committed when this returns."""
        mail = parse_mail(raw)
        source = source_id(raw, mail.message)
        completed = self.try_complete(raw, mail, source)
        if completed is not None:
            return completed
        if self.intake is None:
            raise TypeError("MailIntake.take needs the intake it journals new mail with")
        receipt = self.intake.take(RawSubmission(Channel.EMAIL, source, raw, CONTENT_TYPE, utcnow()))
        if isinstance(receipt, Refusal):
            raise NotJournaled(receipt.detail)
        return Taken(receipt.submission_id, receipt.tracking_code, "duplicate" if receipt.duplicate else "new")


def _same_sender(mail: Mail, stored: StoredSubmission) -> bool:
    """Whether this mail comes from the address a mail submission was sent from (or its Reply-To)."""
    if stored.channel is not Channel.EMAIL:
        return False
    original = parse_mail(stored.raw)
    sender = (mail.reply_to or mail.from_address or "").lower()
    return bool(sender) and sender in {(original.reply_to or "").lower(), (original.from_address or "").lower()}


def _completion_identity(mail: Mail) -> SubmissionFields | None:
    """Who the reply says the submitter is; None when unreadable (the worker will say what is wrong)."""
    try:
        return completion_identity(mail)
    except Exception:
        return None
