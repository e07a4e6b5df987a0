"""Submissions waiting for their author: reminded once, then closed as not eligible (pakn/app/deadlines.py)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select, update

from pakn.db import submissions, utcnow
from pakn.journal.outbox import add_message
from pakn.journal.storage import Storage, stored_submission
from pakn.records import Finding, Status, StoredSubmission, Verdict


class Waiting:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine
        self._writer = storage.writer

    def waiting_for_information(self, since_before: datetime) -> list[StoredSubmission]:
        """Submissions waiting for the citizen whose last step (request or reminder) is older than that."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions).where(
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                    or_(
                        and_(submissions.c.reminded_at.is_(None), submissions.c.waiting_since <= since_before),
                        submissions.c.reminded_at <= since_before,
                    ),
                )
            ).all()
        return [stored_submission(r) for r in rows]

    def remind(self, submission_id: int, message: str) -> bool:
        now = utcnow()
        with self._writer.begin() as conn:
            done = conn.execute(
                update(submissions)
                .where(
                    submissions.c.id == submission_id,
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                    submissions.c.reminded_at.is_(None),
                )
                .values(reminded_at=now, updated_at=now)
            ).rowcount
            if done:
                add_message(conn, submission_id, "reminder", message, now, now)
        return bool(done)

    def close_unanswered(self, submission_id: int, finding: Finding, message: str) -> bool:
        """Close a submission whose author never completed it, as not eligible, saying why."""
        now = utcnow()
        with self._writer.begin() as conn:
            # The lease: one atomic UPDATE that only a row still waiting matches.  Of two sweepers, the
            # second one's UPDATE (PostgreSQL: after the first commits) finds it closed and sends nothing.
            row = conn.execute(
                update(submissions)
                .where(
                    submissions.c.id == submission_id,
                    submissions.c.status == Status.NEEDS_INFORMATION.value,
                )
                .values(status=Status.REJECTED.value, verdict=Verdict.REJECTED.value, updated_at=now)
                .returning(submissions.c.findings)
            ).first()
            if row is None:
                return False
            findings = [*json.loads(row.findings or "[]"), finding.as_json()]
            conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .values(findings=json.dumps(findings, ensure_ascii=False))
            )
            add_message(conn, submission_id, "closed", message, now, now)
        return True
