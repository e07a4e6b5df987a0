"""A later message that quotes a tracking code, or answers our question: a status request, or a completion.

E-mail and SMS put everything in one text, so each message is read the same way, here, before it may
become a new submission:

- only a code and the words around a lookup ("tra cứu PAKN-…", "tra cuu", "Re:", the code alone): a
  **status request**, answered on the same channel with ``status_text`` (the chat engine's ``tra cứu``
  answer: status and reasons, never who sent it), and no submission is made;
- anything more, from the **same sender** as a submission waiting for information (the code's one, or for
  SMS the latest of that phone): a **completion** of it through ``journal.intake.amend``, like the API's;
- otherwise a new submission.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from channels import identity, intake
from channels.runtime import Runtime
from pakn import tracking
from pakn.records import RawSubmission, SubmissionFields

log = logging.getLogger(__name__)

# What a status request may say besides the code, once diacritics and case are set aside: "tra cứu",
# "tracuu", "/tracuu", "mã (số)", reply and forward prefixes ("Re:", "Fwd:", "TL:" for "Trả lời"), and the
# words of asking after it ("cho hỏi tình trạng phản ánh … thế nào ạ"): none of them is new information.
_LOOKUP_WORDS = re.compile(
    r"/?\btra\s*cuu\b|\bma(?:\s+so)?\b|\bre\b|\bfwd?\b|\btl\b|\btra\s+loi\b"
    r"|\b(?:cho|xin|vui\s+long|giup)\b|\bhoi\b|\bxem\b|\bkiem\s+tra\b|\btinh\s+trang\b|\btrang\s+thai\b"
    r"|\bphan\s+anh\b|\bkien\s+nghi\b|\bcua\s+(?:toi|em|chau)\b|\bthe\s+nao\b|\bra\s+sao\b|\broi\b"
    r"|\ba\b|\bvoi\b|\bso\b"
)


@dataclass(frozen=True, slots=True)
class Quoted:
    """The first tracking code a message writes, and whether it says nothing else (a status request)."""

    code: str
    lookup_only: bool


@dataclass(frozen=True, slots=True)
class Lookup:
    """Answer the status of ``code`` on the message's channel; nothing is journaled."""

    code: str


@dataclass(frozen=True, slots=True)
class Completes:
    """The message completes this submission of the same sender, waiting for information."""

    submission_id: int
    tracking_code: str


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def quoted(*texts: str) -> Quoted | None:
    """The code these texts (a subject and a body, or one SMS) quote, if any."""
    joined = "\n".join(texts)
    codes = tracking.written_codes(joined)
    if not codes:
        return None
    rest = _LOOKUP_WORDS.sub(" ", _bare(tracking.WRITTEN.sub(" ", joined)))
    return Quoted(codes[0], not any(c.isalnum() for c in rest))


def followup_of(
    texts: Sequence[str], waiting_of_sender: Callable[[str | None], Completes | None]
) -> Lookup | Completes | None:
    """What a message is besides a new submission (None: a new one).

    ``waiting_of_sender(code)``: the submission of this message's sender waiting for information, the one
    with ``code`` when the message quotes one; the channel knows who its sender is.
    """
    found = quoted(*texts)
    if found is not None and found.lookup_only:
        return Lookup(found.code)
    return waiting_of_sender(found.code if found else None)


def complete(runtime: Runtime, target: Completes, raw: RawSubmission, completion: SubmissionFields | None) -> bool:
    """Add ``raw`` to the waiting submission and send it back to the normalizer (False: it waits no more).

    ``completion``: who the message says the submitter is (None: nothing to compare); another phone or
    e-mail is recorded as a change to confirm and another name kept, never applied (``channels.identity``).
    """
    recorder = None
    stored = runtime.journal.reading.get(target.submission_id)
    if stored is not None and completion is not None:
        assessment = identity.assess(runtime, stored, completion)
        recorder = identity.Recorder(runtime, target.submission_id, target.tracking_code, raw.source_id, assessment)
    if not intake.complete(runtime, target.submission_id, raw, recorder):
        return False
    log.info("%s completion of submission %d", raw.channel.value, target.submission_id)
    return True
