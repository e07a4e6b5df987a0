"""Normalization's side of the journal: received submissions taken, judged, and their verdicts recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from pakn.db import forwards, notifications, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.outbox import add_message, add_messages
from pakn.journal.review import record_held
from pakn.journal.storage import Storage, stored_submission
from pakn.records import ForwardState, Recorded, Status, StoredSubmission, Verdict, Verdicted

_STATUS_OF_VERDICT = {
    Verdict.ACCEPTED: Status.ACCEPTED,
    Verdict.NEEDS_INFORMATION: Status.NEEDS_INFORMATION,
    Verdict.REJECTED: Status.REJECTED,
}


class Normalization:
    def __init__(self, storage: Storage) -> None:
        self._writer = storage.writer
        self.stale_after = storage.stale_after
        self.work = storage.normalizing

    def claim_submissions(self, submission_ids: Sequence[int], lease: timedelta) -> list[StoredSubmission]:
        """Take received submissions for normalization, except those another worker holds (one transaction)."""
        with self._writer.begin() as conn:
            rows = self.work.claim(conn, submission_ids, lease, utcnow(), *submissions.c)
        return sorted((stored_submission(row) for row in rows), key=lambda stored: stored.id)

    def release_submissions(self, submission_ids: Sequence[int]) -> None:
        """Give back rows a job took but will not work on (that take does not count as an attempt)."""
        with self._writer.begin() as conn:
            self.work.release(conn, submission_ids, utcnow() + self.stale_after)

    def finish_normalizations(self, verdicts: Sequence[Verdicted]) -> Recorded:
        """Record verdicts, the forward of each accepted one and the message to each citizen, in one
        transaction.

        A verdict for a submission that is no longer ``received`` (another run got there first) changes
        nothing.  Returns the forwards to dispatch (new, or existing and still pending) and the new
        messages to send.

        A few statements for the whole batch, each with many rows, and the values made before the
        transaction begins: it holds the journal's write lock, which every channel's intake waits for
        (one statement per verdict held it ~1.6 ms per verdict, ~180 ms per job under load).
        """
        now = utcnow()
        batch: dict[int, Verdicted] = {}
        for verdict in verdicts:
            batch.setdefault(verdict.submission_id, verdict)  # a second verdict for one row would find it done
        changes = {submission_id: _verdict_values(v, now) for submission_id, v in batch.items()}
        wanted = [v for v in batch.values() if v.forward_payload is not None and v.idempotency_key is not None]
        recorded = Recorded([], [])
        with self._writer.begin() as conn:
            received: set[int] = set()
            for chunk in chunks(list(batch)):
                received.update(
                    conn.execute(
                        select(submissions.c.id)
                        .where(submissions.c.id.in_(chunk), self.work.open)
                        .with_for_update()  # PostgreSQL: no other transaction changes them before ours ends
                    ).scalars()
                )
            if received:
                conn.execute(
                    update(submissions).where(submissions.c.id == bindparam("target_id")),
                    [changes[submission_id] for submission_id in received],
                )
            messages = [
                (v.submission_id, *v.notification)
                for v in batch.values()
                if v.notification is not None and v.submission_id in received
            ]
            recorded.notification_ids.extend(add_messages(conn, messages, now, now + self.stale_after))
            existing: dict[int, Any] = {}  # submission id -> (submission_id, id, state)
            for chunk in chunks([v.submission_id for v in wanted]):
                existing.update(
                    (row.submission_id, row)
                    for row in conn.execute(
                        select(forwards.c.submission_id, forwards.c.id, forwards.c.state).where(
                            forwards.c.submission_id.in_(chunk)
                        )
                    )
                )
            recorded.forward_ids.extend(int(row.id) for row in existing.values() if row.state == ForwardState.PENDING)
            # A forward held by an earlier verdict (staff sent it back, the citizen completed it): the new
            # verdict's payload, held again or now due.
            again = [
                v
                for v in wanted
                if v.submission_id in received
                and v.submission_id in existing
                and existing[v.submission_id].state == ForwardState.HELD
            ]
            for v in again:
                conn.execute(
                    update(forwards)
                    .where(forwards.c.id == existing[v.submission_id].id, forwards.c.state == ForwardState.HELD)
                    .values(payload=v.forward_payload, **_forward_state(v, now + self.stale_after))
                )
                if not v.held_for:
                    recorded.forward_ids.append(int(existing[v.submission_id].id))
            new = [
                {
                    "submission_id": v.submission_id,
                    "idempotency_key": v.idempotency_key,
                    "payload": v.forward_payload,
                    "attempts": 0,
                    "created_at": now,
                    **_forward_state(v, now + self.stale_after),
                }
                for v in wanted
                if v.submission_id not in existing and v.submission_id in received
            ]
            record_held(
                conn, [(v.submission_id, v.held_for) for v in wanted if v.held_for and v.submission_id in received], now
            )
            if new:
                inserted = conn.execute(
                    insert(forwards).returning(forwards.c.id, sort_by_parameter_order=True), new
                ).scalars()
                recorded.forward_ids.extend(
                    i for i, row in zip(inserted, new, strict=True) if row["state"] == ForwardState.PENDING
                )
        return recorded

    def normalization_failed(
        self, submission_id: int, error: str, retry_in: timedelta | None, message: tuple[str, str] | None = None
    ) -> int | None:
        """A submission whose normalization raised: try it again after ``retry_in``, or (``None``) give up.

        Giving up marks it ``failed`` with the error (``pakn dead list``) and stores ``message`` (kind,
        text) for the citizen unless one of that kind was stored before; returns that message's id.  A
        row no longer ``received`` is left alone.
        """
        now = utcnow()
        still_received = and_(submissions.c.id == submission_id, self.work.open)
        with self._writer.begin() as conn:
            if retry_in is not None:
                self.work.retry_later(conn, still_received, error, now + retry_in, now)
                return None
            changed = self.work.give_up(conn, still_received, error, now)
            if not changed or message is None:
                return None
            told = conn.execute(
                select(notifications.c.id).where(
                    notifications.c.submission_id == submission_id, notifications.c.kind == message[0]
                )
            ).first()
            if told is not None:  # failed again after a replay: the citizen was told once, that is enough
                return None
            return add_message(conn, submission_id, *message, now, now)

    def due_submissions(self, now: datetime, limit: int = 1000) -> list[int]:
        """Received submissions nobody is working on whose time to be looked at has come."""
        return self.work.due(now, limit)

    def tried_before(self, submission_ids: Sequence[int]) -> set[int]:
        """Those of ``submission_ids`` some job already took (and did not finish): retried one per job."""
        return self.work.tried_before(submission_ids)


def _forward_state(verdict: Verdicted, due: datetime) -> dict[str, Any]:
    """A held case's forward waits for a person (never due); any other is due at once."""
    if verdict.held_for:
        return {"state": ForwardState.HELD, "due_at": None}
    return {"state": ForwardState.PENDING, "due_at": due}


def _verdict_values(verdict: Verdicted, now: datetime) -> dict[str, Any]:
    result = verdict.result
    status = Status.HELD if verdict.held_for else _STATUS_OF_VERDICT[result.verdict]
    return {
        "target_id": verdict.submission_id,
        "status": status.value,
        "verdict": result.verdict.value,
        "findings": json.dumps([f.as_json() for f in result.findings], ensure_ascii=False),
        "normalized": json.dumps(result.case.as_json(), ensure_ascii=False),
        "category": result.case.category,
        "confidential": result.case.confidential,
        "lease_until": None,  # the work is done: no lease, never due again
        "due_at": None,
        "updated_at": now,
        "waiting_since": now if status is Status.NEEDS_INFORMATION else None,
        "reminded_at": None,
        "contact_key": verdict.contact_key,
        "content_key": verdict.content_key,
        "repeat_of": result.case.repeat_of,
    }
