"""Forwards: accepted cases on their way to the case store, each delivered once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from pakn.db import forwards, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.rows import record_of
from pakn.journal.storage import Storage
from pakn.records import Forward, ForwardState, Status


class Forwarding:
    def __init__(self, storage: Storage) -> None:
        self._writer = storage.writer
        self.work = storage.forwarding

    def claim_forwards(self, forward_ids: Sequence[int], lease: timedelta) -> list[Forward]:
        """Take pending forwards, except those another worker holds: no case is sent by two at once."""
        with self._writer.begin() as conn:
            rows = self.work.claim(
                conn,
                forward_ids,
                lease,
                utcnow(),
                forwards.c.id,
                forwards.c.submission_id,
                forwards.c.idempotency_key,
                forwards.c.payload,
                forwards.c.state,
                forwards.c.attempts,
                forwards.c.created_at,
            )
        return sorted((record_of(Forward, row) for row in rows), key=lambda forward: forward.id)

    def forwards_delivered(self, delivered: Sequence[Forward]) -> None:
        """Mark forwards delivered and their submissions forwarded, in one transaction."""
        if not delivered:
            return
        now = utcnow()
        with self._writer.begin() as conn:
            received = {
                row.id: row.received_at
                for chunk in chunks([f.submission_id for f in delivered])
                for row in conn.execute(
                    select(submissions.c.id, submissions.c.received_at).where(submissions.c.id.in_(chunk))
                )
            }
            for forward in delivered:
                self.work.finish(
                    conn,
                    forwards.c.id == forward.id,
                    state=ForwardState.DELIVERED,
                    delivered_at=now,
                    latency_seconds=(now - received.get(forward.submission_id, now)).total_seconds(),
                )
            for chunk in chunks([f.submission_id for f in delivered]):
                conn.execute(
                    update(submissions)
                    .where(submissions.c.id.in_(chunk))
                    .values(status=Status.FORWARDED.value, updated_at=now)
                )

    def forward_retry_later(self, forward: Forward, error: str, delay: timedelta, refund: bool = False) -> None:
        """Try again after ``delay``; ``refund``: this try never reached the case store, do not count it."""
        now = utcnow()
        with self._writer.begin() as conn:
            self.work.retry_later(conn, forwards.c.id == forward.id, error, now + delay, now, refund=refund)

    def forward_failed(self, forward: Forward, error: str) -> None:
        now = utcnow()
        with self._writer.begin() as conn:
            self.work.give_up(conn, forwards.c.id == forward.id, error, now)
            conn.execute(
                update(submissions)
                .where(submissions.c.id == forward.submission_id)
                .values(status=Status.FAILED.value, updated_at=now)
            )

    def due_forwards(self, now: datetime, limit: int = 1000) -> list[int]:
        return self.work.due(now, limit)
