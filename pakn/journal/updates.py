"""What the case store tells us about cases: status updates, recorded once, never moving a case back."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from pakn.db import case_updates, submissions, utcnow
from pakn.journal.outbox import add_message
from pakn.journal.ratings import ask_for_rating
from pakn.journal.storage import Storage
from pakn.records import CaseUpdate, Status

_STATUS_OF_UPDATE = {"received": Status.FORWARDED, "in_progress": Status.IN_PROGRESS, "resolved": Status.RESOLVED}
# How far a case has come: an update never moves it back.
_PROGRESS = [
    Status.RECEIVED,
    Status.NEEDS_INFORMATION,
    Status.REJECTED,
    Status.ACCEPTED,
    Status.FAILED,
    Status.FORWARDED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
]


class CaseUpdates:
    def __init__(self, storage: Storage) -> None:
        self._writer = storage.writer
        self.stale_after = storage.stale_after

    def record_case_update(
        self, change: CaseUpdate, message: str | None, rating_request: str | None = None
    ) -> tuple[bool, int | None]:
        """Record a case store's status update once (by its key); returns (known case, message id).

        A case never moves backwards (an in-progress that arrives after the answer changes nothing
        but is kept); the citizen is told of each new update.  With the first ``resolved`` update the
        citizen is asked, once, to rate the answer (``rating_request``, pakn.journal.ratings); use
        ``record_case_update_ids`` for that message's id too.
        """
        known, ids = self.record_case_update_ids(change, message, rating_request)
        return (known, ids[0] if ids else None)

    def record_case_update_ids(
        self, change: CaseUpdate, message: str | None, rating_request: str | None = None
    ) -> tuple[bool, list[int]]:
        """As ``record_case_update``: (known case, the ids of the messages to send: the update's, then the
        request to rate); no ids for a resend."""
        now = utcnow()
        with self._writer.begin() as conn:
            row = conn.execute(
                select(submissions.c.id, submissions.c.status).where(
                    submissions.c.tracking_code == change.tracking_code
                )
            ).first()
            if row is None:
                return (False, [])
            seen = conn.execute(select(case_updates.c.id).where(case_updates.c.update_key == change.key)).first()
            if seen is not None:
                return (True, [])
            conn.execute(
                insert(case_updates).values(
                    submission_id=row.id,
                    update_key=change.key,
                    status=change.status,
                    answer=change.answer,
                    on_time=change.on_time,
                    satisfaction=change.satisfaction,
                    reported_at=change.reported_at,
                    received_at=now,
                )
            )
            new_status = _STATUS_OF_UPDATE.get(change.status)
            if new_status is not None and _PROGRESS.index(new_status) > _PROGRESS.index(Status(row.status)):
                conn.execute(
                    update(submissions)
                    .where(submissions.c.id == row.id)
                    .values(status=new_status.value, updated_at=now)
                )
            due = now + self.stale_after
            ids = [] if message is None else [add_message(conn, row.id, f"case-{change.status}", message, now, due)]
            if change.status == "resolved" and rating_request is not None:
                code = change.tracking_code
                asked = ask_for_rating(conn, row.id, code, rating_request, now, due)
                if asked is not None:
                    ids.append(asked)
            return (True, ids)
