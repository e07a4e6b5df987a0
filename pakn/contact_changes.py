"""A changed contact on completion: recorded, confirmed on the submission's original channel, then applied.

A completion adds what is missing; it never silently replaces who the submitter is.  A phone or email
that differs from the one on file is *not* applied: it is recorded here as a pending change (old and new
value), and a message with a short code goes out through the outbox on the channel the submission came
from (the mailbox, chat or phone that sent it).  Whoever enters that code
(``POST /api/v1/submissions/{code}/contact-confirmation``) applies it; a wrong code counts, and after
``MAX_WRONG_CODES`` the change is refused.  Until then, and for ever if it is never confirmed, the
normalizer sees the contact on file (``pinned_of_many``).

Its own small module over the journal's engine and tables, so that the journal itself stays as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pakn.db import contact_changes, notifications, submissions, utcnow, writer
from pakn.journal.rows import record_of

# The contact fields a completion may ask to change, with a code (another name is never applied: identity).
CONTACT_FIELDS = ("phone", "email")
# The fields ``pinned_of_many`` may hold.
PINNED_FIELDS = ("name", *CONTACT_FIELDS)
# Wrong codes before a pending change is refused (a new completion must ask again).
MAX_WRONG_CODES = 5
CODE_DIGITS = 6
# Kinds of the outbox messages (notifications.kind); the public status view never shows their text.
ASK_KIND = "contact-change"
DONE_KIND = "contact-changed"


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"  # too many wrong codes
    REPLACED = "replaced"  # a later completion asked for another change before this one was confirmed
    EXPIRED = "expired"
    KEPT = "kept"  # another name in a mail completing a submission: recorded for staff, never applied


@dataclass(frozen=True, slots=True)
class ContactChange:
    """One contact field a completion would change: what is on file, and what was sent."""

    field: str
    old_value: str
    new_value: str


@dataclass(frozen=True, slots=True)
class StoredContactChange:
    id: int
    submission_id: int
    tracking_code: str
    source_id: str
    field: str
    old_value: str
    new_value: str
    state: State
    attempts: int
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class ConfirmationOutcome(StrEnum):
    """How a typed confirmation code was taken."""

    CONFIRMED = "confirmed"
    WRONG_CODE = "wrong-code"
    REFUSED = "refused"  # that wrong code was the last one allowed
    NONE_PENDING = "none-pending"  # nothing waiting (never asked, expired, refused or confirmed already)


@dataclass(frozen=True, slots=True)
class Confirmation:
    outcome: ConfirmationOutcome
    changes: tuple[StoredContactChange, ...] = ()
    attempts_left: int = 0
    notification_id: int | None = None


def new_code() -> str:
    """A short code a person can type: six digits (one in a million; five tries allowed)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _normal_code(code: str) -> str:
    return "".join(c for c in code if c.isdigit())


class ContactChanges:
    """The ``contact_changes`` table: proposals in the completion's transaction, confirmations, staff view."""

    def __init__(self, engine: Engine, key: bytes, valid_for: timedelta) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._key = key
        self.valid_for = valid_for

    def _mac(self, submission_id: int, code: str) -> str:
        return hmac.new(self._key, f"{submission_id}:{_normal_code(code)}".encode(), hashlib.sha256).hexdigest()

    def propose(
        self,
        conn: Connection,
        submission_id: int,
        source_id: str,
        changes: Sequence[ContactChange],
        code: str,
        message: str,
    ) -> int:
        """Record the changes as pending and the message carrying ``code`` in the outbox (due now), in
        ``conn``'s transaction (the completion's own); returns the message's id.  A change still pending
        for this submission is replaced: only the latest code works."""
        now = utcnow()
        conn.execute(
            update(contact_changes)
            .where(contact_changes.c.submission_id == submission_id, contact_changes.c.state == State.PENDING.value)
            .values(state=State.REPLACED.value, decided_at=now)
        )
        notification_id = int(
            conn.execute(
                insert(notifications)
                .values(submission_id=submission_id, kind=ASK_KIND, message=message, created_at=now, due_at=now)
                .returning(notifications.c.id)
            ).scalar_one()
        )
        conn.execute(
            insert(contact_changes),
            [
                {
                    "submission_id": submission_id,
                    "source_id": source_id[:255],
                    "field": change.field,
                    "old_value": change.old_value[:320],
                    "new_value": change.new_value[:320],
                    "code_hmac": self._mac(submission_id, code),
                    "state": State.PENDING.value,
                    "attempts": 0,
                    "notification_id": notification_id,
                    "created_at": now,
                    "expires_at": now + self.valid_for,
                }
                for change in changes
            ],
        )
        return notification_id

    def keep(self, conn: Connection, submission_id: int, source_id: str, change: ContactChange) -> None:
        """Record a change that is never applied (another name): staff see it, the normalizer does not."""
        now = utcnow()
        conn.execute(
            insert(contact_changes).values(
                submission_id=submission_id,
                source_id=source_id[:255],
                field=change.field,
                old_value=change.old_value[:320],
                new_value=change.new_value[:320],
                code_hmac="",
                state=State.KEPT.value,
                attempts=0,
                created_at=now,
                expires_at=now,
                decided_at=now,
            )
        )

    def confirm(self, submission_id: int, code: str, done_message: str) -> Confirmation:
        """Apply the pending change if ``code`` is its code; count a wrong one (refused after the last)."""
        now = utcnow()
        with self._writer.begin() as conn:
            rows = conn.execute(
                select(contact_changes)
                .where(contact_changes.c.submission_id == submission_id, contact_changes.c.state == State.PENDING.value)
                .order_by(contact_changes.c.id)
                .with_for_update()
            ).all()
            if not rows:
                return Confirmation(ConfirmationOutcome.NONE_PENDING)
            ids = [r.id for r in rows]
            if rows[0].expires_at <= now:
                self._decide(conn, ids, State.EXPIRED, now)
                return Confirmation(ConfirmationOutcome.NONE_PENDING)
            if not hmac.compare_digest(rows[0].code_hmac, self._mac(submission_id, code)):
                attempts = rows[0].attempts + 1
                conn.execute(update(contact_changes).where(contact_changes.c.id.in_(ids)).values(attempts=attempts))
                if attempts >= MAX_WRONG_CODES:
                    self._decide(conn, ids, State.REFUSED, now)
                    return Confirmation(ConfirmationOutcome.REFUSED)
                return Confirmation(ConfirmationOutcome.WRONG_CODE, attempts_left=MAX_WRONG_CODES - attempts)
            self._decide(conn, ids, State.CONFIRMED, now)
            notification_id = int(
                conn.execute(
                    insert(notifications)
                    .values(
                        submission_id=submission_id, kind=DONE_KIND, message=done_message, created_at=now, due_at=now
                    )
                    .returning(notifications.c.id)
                ).scalar_one()
            )
        return Confirmation(ConfirmationOutcome.CONFIRMED, tuple(self._listed(ids)), notification_id=notification_id)

    @staticmethod
    def _decide(conn: Connection, ids: Sequence[int], state: State, now: datetime) -> None:
        conn.execute(
            update(contact_changes).where(contact_changes.c.id.in_(list(ids))).values(state=state.value, decided_at=now)
        )

    def pinned_of_many(self, submission_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """The contact each submission's completions may not change by themselves, field by field: the
        latest confirmed new value, else the value on file before the first change was asked for."""
        pinned: dict[int, dict[str, str]] = {}
        if not submission_ids:
            return pinned
        with self.engine.connect() as conn:
            for start in range(0, len(submission_ids), 500):
                chunk = list(submission_ids[start : start + 500])
                rows = conn.execute(
                    select(
                        contact_changes.c.submission_id,
                        contact_changes.c.field,
                        contact_changes.c.old_value,
                        contact_changes.c.new_value,
                        contact_changes.c.state,
                    )
                    .where(contact_changes.c.submission_id.in_(chunk))
                    .order_by(contact_changes.c.id)
                ).all()
                confirmed: dict[tuple[int, str], str] = {}
                for r in rows:
                    pinned.setdefault(r.submission_id, {}).setdefault(r.field, r.old_value)
                    if r.state == State.CONFIRMED.value:
                        confirmed[(r.submission_id, r.field)] = r.new_value
                for (submission_id, field), value in confirmed.items():
                    pinned[submission_id][field] = value
        return pinned

    def listed(self, tracking_code: str | None = None) -> list[StoredContactChange]:
        """Every change asked for (of one submission, or all), oldest first: what staff look at."""
        query = select(contact_changes, submissions.c.tracking_code).join(
            submissions, submissions.c.id == contact_changes.c.submission_id
        )
        if tracking_code is not None:
            query = query.where(submissions.c.tracking_code == tracking_code)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(contact_changes.c.id)).all()
        return [_stored(r) for r in rows]

    def _listed(self, ids: Sequence[int]) -> list[StoredContactChange]:
        query = select(contact_changes, submissions.c.tracking_code).join(
            submissions, submissions.c.id == contact_changes.c.submission_id
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.where(contact_changes.c.id.in_(list(ids))).order_by(contact_changes.c.id)).all()
        return [_stored(r) for r in rows]


def _stored(row: Row[Any]) -> StoredContactChange:
    return record_of(StoredContactChange, row, state=State(row.state))


def for_runtime(engine: Engine, web_secret: str, valid_hours: float) -> ContactChanges:
    """The table over the journal's engine, codes keyed by WEB_SECRET."""
    key = hmac.new(web_secret.encode(), b"pakn-contact-change", hashlib.sha256).digest()
    return ContactChanges(engine, key, timedelta(hours=valid_hours))
