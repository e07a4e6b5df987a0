"""What operators ask of the journal: replay failed and stuck work, list what gave up, count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select, true, update

from pakn.db import forwards, notifications, submissions, utcnow
from pakn.journal.leases import chunks
from pakn.journal.storage import Storage
from pakn.records import NOT_SENDABLE, FailedWork, ForwardState, JournalCounts, Status


class Operators:
    def __init__(self, storage: Storage) -> None:
        self.engine = storage.engine
        self._writer = storage.writer
        self.normalizing = storage.normalizing
        self.forwarding = storage.forwarding

    def replay(self, *, failed: bool, stuck: bool, tracking_code: str | None = None) -> tuple[int, int]:
        """Make failed forwards and stuck submissions due now; returns (submissions, forwards) touched."""
        now = utcnow()
        sub_count = fwd_count = 0
        with self._writer.begin() as conn:
            if tracking_code is not None:
                sub_id = conn.execute(
                    select(submissions.c.id).where(submissions.c.tracking_code == tracking_code)
                ).scalar_one_or_none()
                if sub_id is None:
                    return (0, 0)
                # A held forward waits for a person (pakn.journal.review): replay never sends it.
                unsent = forwards.c.state.not_in((ForwardState.DELIVERED, ForwardState.HELD))
                fwd_count += self.forwarding.replay(conn, and_(forwards.c.submission_id == sub_id, unsent), now)
                sub_count += self.normalizing.wake(conn, submissions.c.id == sub_id, now)
                if fwd_count:
                    conn.execute(
                        update(submissions)
                        .where(submissions.c.id == sub_id, submissions.c.status == Status.FAILED.value)
                        .values(status=Status.ACCEPTED.value, updated_at=now)
                    )
                else:
                    # Failed before a verdict (no forward was ever made): back to ``received``.
                    sub_count += self.normalizing.replay(
                        conn, and_(submissions.c.id == sub_id, self.normalizing.failed), now
                    )
                return (sub_count, fwd_count)
            if failed:
                failed_ids = [
                    r.submission_id
                    for r in conn.execute(select(forwards.c.submission_id).where(self.forwarding.failed))
                ]
                fwd_count += self.forwarding.replay(conn, self.forwarding.failed, now)
                for chunk in chunks(failed_ids):
                    conn.execute(
                        update(submissions)
                        .where(submissions.c.id.in_(chunk))
                        .values(status=Status.ACCEPTED.value, updated_at=now)
                    )
                sub_count += self.normalizing.replay(conn, self.normalizing.failed, now)
            if stuck:
                sub_count += self.normalizing.wake(conn, true(), now)
                fwd_count += self.forwarding.wake(conn, true(), now)
        return (sub_count, fwd_count)

    def failed_submissions(self) -> list[FailedWork]:
        """Submissions whose normalization failed NORMALIZE_MAX_ATTEMPTS times, with the last error."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, submissions.c.attempts, submissions.c.last_error)
                .where(self.normalizing.failed)
                .order_by(submissions.c.id)
            ).all()
        return [FailedWork("submission", r.tracking_code, r.attempts, r.last_error) for r in rows]

    def failed_forwards(self) -> list[FailedWork]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(submissions.c.tracking_code, forwards.c.attempts, forwards.c.last_error)
                .join(submissions, submissions.c.id == forwards.c.submission_id)
                .where(self.forwarding.failed)
                .order_by(forwards.c.id)
            ).all()
        return [FailedWork("forward", r.tracking_code, r.attempts, r.last_error) for r in rows]

    def stats(self, since: datetime | None = None, until: datetime | None = None) -> JournalCounts:
        """Counts by channel, by status and by category, for ``pakn stats`` and reports."""
        conditions = []
        if since is not None:
            conditions.append(submissions.c.received_at >= since)
        if until is not None:
            conditions.append(submissions.c.received_at < until)
        where = and_(*conditions) if conditions else true()
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(submissions).where(where)).scalar_one()
            by: dict[str, dict[str, int]] = {}
            for name, column in (
                ("by_channel", submissions.c.channel),
                ("by_status", submissions.c.status),
                ("by_category", submissions.c.category),
            ):
                rows = conn.execute(select(column, func.count()).where(where).group_by(column).order_by(column)).all()
                by[name] = {(key if key is not None else "-"): count for key, count in rows}
            by_state = {
                state: count
                for state, count in conn.execute(
                    select(forwards.c.state, func.count()).group_by(forwards.c.state)
                ).all()
            }
            state = case(
                (notifications.c.sent_at.is_not(None), "sent"),
                (notifications.c.due_at.is_not(None), "waiting"),
                (notifications.c.last_error.like(f"{NOT_SENDABLE}%"), "not_sendable"),
                else_="failed",
            )
            messages = {name: count for name, count in conn.execute(select(state, func.count()).group_by(state))}
        return JournalCounts(total, by["by_channel"], by["by_status"], by["by_category"], by_state, messages)
