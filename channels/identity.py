"""Who the submitter is, when a completion arrives: what it adds, and what it would change.

Every completion path (the JSON API, a mail replying to our question) asks the same: a name, phone or
email missing on file is simply added; the same value written otherwise (case, spacing, +84, a name's
diacritics) is no change; a phone or email the normalizer found invalid is the correction it asked
for.  Anything else would replace the submitter's identity, which a completion never does silently:

- another **phone or email** is recorded as a pending change (``pakn.contact_changes``) and a code to
  confirm it is sent on the submission's original channel, in the completion's own transaction;
- another **name** is identity itself: the API refuses the completion (409 ``identity-kept``); a mail
  (already accepted by SMTP) is taken for what it adds and the name recorded as ``kept``, never applied.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from channels.readers import READERS
from channels.runtime import Runtime
from pakn.contact_changes import CONTACT_FIELDS, ContactChange, StoredContactChange, new_code
from pakn.records import StoredSubmission, SubmissionFields


def _bare(text: str) -> str:
    """Case, spacing and diacritics set aside: "NGUYEN  van an" is "Nguyễn Văn An"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split()).casefold()


def same_value(name: str, before: str, after: str) -> bool:
    """Whether a completion's value says the same as the one on file (then it is no change)."""
    if name == "phone":
        digits = ["".join(c for c in value if c.isdigit()) for value in (before, after)]
        return digits[0][-9:] == digits[1][-9:]
    if name == "name":
        return _bare(before) == _bare(after)
    return " ".join(before.split()).casefold() == " ".join(after.split()).casefold()


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return (value or "").strip()


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a completion would change of who the submitter is."""

    name: ContactChange | None = None  # another name: refused (API) or recorded as kept (mail)
    contact: tuple[ContactChange, ...] = field(default=())  # another phone or email: to be confirmed


def assess(runtime: Runtime, stored: StoredSubmission, completion: SubmissionFields) -> Assessment:
    """Compare a completion with the identity on file (the original, its completions, confirmed changes)."""
    amendments = runtime.journal.reading.amendments_of_many([stored.id]).get(stored.id, [])
    pinned = runtime.contact_changes.pinned_of_many([stored.id]).get(stored.id)
    try:
        current = READERS.submission(stored, amendments, pinned).fields
    except Exception:  # unreadable original: nothing known to protect
        return Assessment()
    flagged = {f.field for f in stored.findings if f.code in ("invalid-phone", "invalid-email")}
    name: ContactChange | None = None
    contact: list[ContactChange] = []
    for which in ("name", *CONTACT_FIELDS):
        before, after = _text(getattr(current, which)), _text(getattr(completion, which))
        if not before or not after or same_value(which, before, after):
            continue
        if which == "name":
            name = ContactChange(which, before, after)
        elif which not in flagged:
            contact.append(ContactChange(which, before, after))
    return Assessment(name, tuple(contact))


def described(runtime: Runtime, changes: Sequence[ContactChange] | Sequence[StoredContactChange]) -> str:
    """ "số điện thoại thành 0911 222 333; thư điện tử thành ..." for the citizen's message."""
    messages = runtime.catalog.messages
    return "; ".join(
        messages.text(
            "api", "contact-change-item", label=messages.text("api-field", c.field).lower(), value=c.new_value
        )
        for c in changes
    )


@dataclass
class Recorder:
    """What to record with a completion, in its transaction (``Journal.amend``'s ``also``)."""

    runtime: Runtime
    submission_id: int
    tracking_code: str
    source_id: str
    assessment: Assessment
    asked: list[int] = field(default_factory=list)  # outbox messages to enqueue once committed

    def __call__(self, conn: Connection) -> None:
        changes = self.runtime.contact_changes
        if self.assessment.name is not None:
            changes.keep(conn, self.submission_id, self.source_id, self.assessment.name)
        if self.assessment.contact:
            code = new_code()
            text = self.runtime.catalog.messages.text(
                "notification",
                "contact-change",
                tracking_code=self.tracking_code,
                changes=described(self.runtime, self.assessment.contact),
                code=code,
                hours=f"{self.runtime.settings.web.contact_change_valid_hours:g}",
            )
            self.asked.append(
                changes.propose(conn, self.submission_id, self.source_id, self.assessment.contact, code, text)
            )

    def hook(self) -> Callable[[Connection], None] | None:
        """The ``also`` for ``Journal.amend``: None when there is nothing to record."""
        return self if self.assessment.name is not None or self.assessment.contact else None
