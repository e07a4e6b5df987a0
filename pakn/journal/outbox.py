"""The outbox: messages owed to citizens, written with what they report and sent by ``notify`` jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from pakn.db import notifications, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.rows import record_of
from pakn.journal.storage import Storage
from pakn.records import Channel, Notification


def add_message(conn: Connection, submission_id: int, kind: str, message: str, now: datetime, due: datetime) -> int:
    """Store one message to send, in the caller's transaction; its id."""
    (notification_id,) = add_messages(conn, [(submission_id, kind, message)], now, due)
    return notification_id


def add_messages(conn: Connection, messages: Sequence[tuple[int, str, str]], now: datetime, due: datetime) -> list[int]:
    """Store messages (submission id, kind, text) to send; their ids, in the same order."""
    if not messages:
        return []
    rows = [
        {"submission_id": submission_id, "kind": kind, "message": message, "created_at": now, "due_at": due}
        for submission_id, kind, message in messages
    ]
    return [
        int(i)
        for i in conn.execute(
            insert(notifications).returning(notifications.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    ]


class Outbox:
    def __init__(self, storage: Storage) -> None:
        self._writer = storage.writer
        self.work = storage.sending

    def claim_notifications(self, notification_ids: Sequence[int], lease: timedelta) -> list[Notification]:
        now = utcnow()
        with self._writer.begin() as conn:
            taken = [row.id for row in self.work.claim(conn, notification_ids, lease, now, notifications.c.id)]
            rows = [
                row
                for chunk in chunks(taken)
                for row in conn.execute(
                    select(
                        notifications.c.id,
                        notifications.c.submission_id,
                        notifications.c.kind,
                        notifications.c.message,
                        notifications.c.created_at,
                        notifications.c.attempts,
                        submissions.c.tracking_code,
                        submissions.c.channel,
                        submissions.c.source_id,
                        submissions.c.raw,
                        submissions.c.content_type,
                    )
                    .join(submissions, submissions.c.id == notifications.c.submission_id)
                    .where(notifications.c.id.in_(chunk))
                )
            ]
        return sorted((record_of(Notification, r, channel=Channel(r.channel)) for r in rows), key=lambda n: n.id)

    def notifications_sent(self, notification_ids: Sequence[int]) -> None:
        if not notification_ids:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            for chunk in chunks(list(notification_ids)):
                self.work.finish(conn, notifications.c.id.in_(chunk), sent_at=now)

    def notification_retry_later(self, notification_id: int, error: str, delay: timedelta | None) -> None:
        """Try again after ``delay``; ``None``: give up (kept with its error for `pakn stats`)."""
        now = utcnow()
        which = notifications.c.id == notification_id
        with self._writer.begin() as conn:
            if delay:
                self.work.retry_later(conn, which, error, now + delay, now)
            else:
                self.work.give_up(conn, which, error, now)

    def due_notifications(self, now: datetime, limit: int = 1000) -> list[int]:
        return self.work.due(now, limit)
