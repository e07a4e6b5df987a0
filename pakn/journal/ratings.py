"""Satisfaction: the citizen asked once to rate the answer to their case, and their rating on its way.

The request is written with the case store's first ``resolved`` update, in its transaction
(``pakn.journal.updates``): one row per submission (unique), so a case is never asked twice.  The rating
(``record_rating``) moves the row from ``asked`` to ``pending`` with one conditional ``UPDATE`` (the first
rating wins, whichever channel it came by); ``dispatcher.jobs.deliver_ratings`` then delivers it to the
case store as leased work with its idempotency key, retried with backoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from pakn.db import notifications, ratings, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.outbox import add_message
from pakn.journal.rows import record_of
from pakn.journal.storage import Storage
from pakn.records import RATINGS, Channel, FailedWork, Rating, RatingRequest, RatingState

# The outbox kind of the request to rate (channels add the rating page's link, Telegram its buttons).
RATING_KIND = "rating-request"
# The outbox kind of the thanks for a rating.
RATED_KIND = "rated"

_REQUEST_COLUMNS = (
    ratings.c.id,
    ratings.c.submission_id,
    submissions.c.tracking_code,
    ratings.c.asked_at,
    notifications.c.sent_at.label("relayed_at"),
)


def ask_for_rating(
    conn: Connection, submission_id: int, tracking_code: str, message: str, now: datetime, due: datetime
) -> int | None:
    """In the caller's transaction: ask this submission's citizen to rate, once; the message's id (None: asked
    before)."""
    if conn.execute(select(ratings.c.id).where(ratings.c.submission_id == submission_id)).first() is not None:
        return None
    notification_id = add_message(conn, submission_id, RATING_KIND, message, now, due)
    conn.execute(
        insert(ratings).values(
            submission_id=submission_id,
            notification_id=notification_id,
            idempotency_key=f"pakn-rating-{tracking_code}",
            asked_at=now,
            state=RatingState.ASKED,
            attempts=0,
        )
    )
    return notification_id


class Ratings:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine
        self._writer = storage.writer
        self.work = storage.rating
        self.stale_after = storage.stale_after

    # --- requests ------------------------------------------------------------------------------------------
    def open_request(self, submission_id: int) -> RatingRequest | None:
        return self._open(ratings.c.submission_id == submission_id)

    def open_request_of_source(self, channel: Channel, source_prefix: str) -> RatingRequest | None:
        """The latest open request to a submission of ``channel`` whose source starts with ``source_prefix``."""
        return self._open(
            submissions.c.channel == channel.value,
            submissions.c.source_id.startswith(source_prefix, autoescape=True),
        )

    def open_request_of_contact(self, channels: Sequence[Channel], contact_key: str) -> RatingRequest | None:
        return self._open(
            submissions.c.channel.in_([c.value for c in channels]), submissions.c.contact_key == contact_key
        )

    def _open(self, *whose: ColumnElement[bool]) -> RatingRequest | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_REQUEST_COLUMNS)
                .join(submissions, submissions.c.id == ratings.c.submission_id)
                .outerjoin(notifications, notifications.c.id == ratings.c.notification_id)
                .where(*whose, ratings.c.state == RatingState.ASKED)
                .order_by(ratings.c.id.desc())
                .limit(1)
            ).first()
        return record_of(RatingRequest, row) if row else None

    def rated_by(self, source_id: str) -> tuple[int, str] | None:
        """(submission id, tracking code) of the rating a channel's message gave, if it gave one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ratings.c.submission_id, submissions.c.tracking_code)
                .join(submissions, submissions.c.id == ratings.c.submission_id)
                .where(ratings.c.source_id == source_id[:255])
                .limit(1)
            ).first()
        return (int(row.submission_id), str(row.tracking_code)) if row else None

    def rating_of(self, submission_id: int) -> tuple[str, str | None] | None:
        """The rating given for a submission and its comment (None: not rated)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ratings.c.rating, ratings.c.comment).where(
                    ratings.c.submission_id == submission_id, ratings.c.rating.is_not(None)
                )
            ).first()
        return (str(row.rating), row.comment) if row else None

    def record_rating(
        self,
        request: RatingRequest,
        rating: str,
        comment: str | None,
        channel: Channel,
        source_id: str,
        thanks: str | None = None,
    ) -> tuple[bool, int | None]:
        """The citizen's rating, once: (taken, id of the ``thanks`` message).  False: rated already."""
        if rating not in RATINGS:
            raise ValueError(f"rating {rating!r} is not one of {RATINGS}")
        now = utcnow()
        with self._writer.begin() as conn:
            taken = conn.execute(
                update(ratings)
                .where(ratings.c.id == request.id, ratings.c.state == RatingState.ASKED)
                .values(
                    rating=rating,
                    comment=comment or None,
                    rated_at=now,
                    channel=channel.value,
                    source_id=source_id[:255],
                    state=RatingState.PENDING,
                    due_at=now + self.stale_after,
                )
            ).rowcount
            if taken != 1:
                return (False, None)
            thanks_id = None
            if thanks is not None:
                thanks_id = add_message(conn, request.submission_id, RATED_KIND, thanks, now, now + self.stale_after)
        return (True, thanks_id)

    # --- delivery to the case store (leased work) ----------------------------------------------------------
    def claim_ratings(self, rating_ids: Sequence[int], lease: timedelta) -> list[Rating]:
        with self._writer.begin() as conn:
            taken = [row.id for row in self.work.claim(conn, rating_ids, lease, utcnow(), ratings.c.id)]
            rows = [
                row
                for chunk in chunks(taken)
                for row in conn.execute(
                    select(
                        ratings.c.id,
                        ratings.c.submission_id,
                        submissions.c.tracking_code,
                        ratings.c.idempotency_key,
                        ratings.c.rating,
                        ratings.c.comment,
                        ratings.c.channel,
                        ratings.c.rated_at,
                        ratings.c.attempts,
                    )
                    .join(submissions, submissions.c.id == ratings.c.submission_id)
                    .where(ratings.c.id.in_(chunk))
                )
            ]
        return sorted((record_of(Rating, r, channel=Channel(r.channel)) for r in rows), key=lambda r: r.id)

    def ratings_delivered(self, rating_ids: Sequence[int]) -> None:
        if not rating_ids:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            for chunk in chunks(list(rating_ids)):
                self.work.finish(conn, ratings.c.id.in_(chunk), state=RatingState.DELIVERED, delivered_at=now)

    def rating_retry_later(self, rating_id: int, error: str, delay: timedelta, refund: bool = False) -> None:
        now = utcnow()
        with self._writer.begin() as conn:
            self.work.retry_later(conn, ratings.c.id == rating_id, error, now + delay, now, refund=refund)

    def rating_failed(self, rating_id: int, error: str) -> None:
        with self._writer.begin() as conn:
            self.work.give_up(conn, ratings.c.id == rating_id, error, utcnow())

    def due_ratings(self, now: datetime, limit: int = 1000) -> list[int]:
        return self.work.due(now, limit)

    def failed_ratings(self) -> list[FailedWork]:
        """Ratings the case store refused or never took, for ``pakn dead list``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, ratings.c.attempts, ratings.c.last_error)
                .join(submissions, submissions.c.id == ratings.c.submission_id)
                .where(self.work.failed)
                .order_by(ratings.c.id)
            ).all()
        return [FailedWork("rating", r.tracking_code, r.attempts, r.last_error) for r in rows]

    def replay_failed(self) -> int:
        with self._writer.begin() as conn:
            return self.work.replay(conn, self.work.failed, utcnow())
