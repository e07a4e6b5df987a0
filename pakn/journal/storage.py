"""What the journal's parts share: the engine, its writer, the sweeper's delay, and the kinds of leased work."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine, Row

from pakn.db import citizen_replies, forwards, notifications, ratings, submissions, writer
from pakn.journal.leases import LeasedWork
from pakn.journal.rows import record_of
from pakn.records import Channel, Finding, ForwardState, RatingState, ReplyState, Status, StoredSubmission

# A submission `failed` in the normalizer has no forward; one `failed` at the case store has one.
FAILED_BEFORE_VERDICT = and_(
    submissions.c.status == Status.FAILED.value,
    ~select(forwards.c.id).where(forwards.c.submission_id == submissions.c.id).exists(),
)


class Storage:
    """The journal's database and its leased work, built once and handed to each part of the journal.

    ``stale_after``: how long a row that nobody took stays undisturbed before the sweeper looks at it.
    """

    def __init__(self, engine: Engine, stale_after: timedelta = timedelta(seconds=30)) -> None:
        self.engine = engine
        self.writer = writer(engine)
        self.stale_after = stale_after
        # Submissions to normalize: `received` until a verdict; `failed` (with no forward) when given up.
        self.normalizing = LeasedWork(
            engine,
            self.writer,
            submissions,
            open=submissions.c.status == Status.RECEIVED.value,
            failed=FAILED_BEFORE_VERDICT,
            failed_values={"status": Status.FAILED.value},
            reopened_values={"status": Status.RECEIVED.value},
            stamped=True,
        )
        # Accepted cases to deliver to the case store.
        self.forwarding = LeasedWork(
            engine,
            self.writer,
            forwards,
            open=forwards.c.state == ForwardState.PENDING,
            failed=forwards.c.state == ForwardState.FAILED,
            failed_values={"state": ForwardState.FAILED},
            reopened_values={"state": ForwardState.PENDING},
        )
        # Citizens' answers to the case store's questions, on their way to it (pakn.journal.loop).
        self.replying = LeasedWork(
            engine,
            self.writer,
            citizen_replies,
            open=citizen_replies.c.state == ReplyState.PENDING,
            failed=citizen_replies.c.state == ReplyState.FAILED,
            failed_values={"state": ReplyState.FAILED},
            reopened_values={"state": ReplyState.PENDING},
        )
        # Citizens' ratings of the answer, on their way to the case store (pakn.journal.ratings).
        self.rating = LeasedWork(
            engine,
            self.writer,
            ratings,
            open=ratings.c.state == RatingState.PENDING,
            failed=ratings.c.state == RatingState.FAILED,
            failed_values={"state": RatingState.FAILED},
            reopened_values={"state": RatingState.PENDING},
        )
        # Messages to citizens: unsent while due; given up, they keep their error and are due never.
        self.sending = LeasedWork(
            engine,
            self.writer,
            notifications,
            open=and_(notifications.c.sent_at.is_(None), notifications.c.due_at.is_not(None)),
            waiting=notifications.c.sent_at.is_(None),
            failed=and_(notifications.c.sent_at.is_(None), notifications.c.due_at.is_(None)),
        )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_submission(row: Row[Any]) -> StoredSubmission:
    return record_of(
        StoredSubmission,
        row,
        channel=Channel(row.channel),
        status=Status(row.status),
        findings=tuple(Finding.from_json(f) for f in json.loads(row.findings)) if row.findings else (),
        normalized=json.loads(row.normalized) if row.normalized else None,
    )
