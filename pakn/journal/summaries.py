"""The week's summary for leaders, sent exactly once per ISO week (``pakn.app.summary``).

A sweeper claims the week with one atomic ``UPDATE`` that only changes a row not sent and not leased by
another, so two sweepers never send together; each recipient is marked as soon as it has the summary,
so a sender that dies mid-way leaves only the rest to whoever claims the week after the lease ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pakn.db import summary_sends, summary_weeks
from pakn.journal.storage import Storage


class Summaries:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def claim(self, week: str, owner: str, now: datetime, lease: timedelta, *, again: bool = False) -> bool:
        """True when ``owner`` may send ``week`` now: not sent yet (or ``again``: sent, to be sent once more),
        and nobody else holds its lease.  ``again`` forgets who had it, so everyone gets it anew."""
        self._ensure_row(week, now)
        free = or_(summary_weeks.c.lease_until.is_(None), summary_weeks.c.lease_until < now)
        condition = free if again else (free & (summary_weeks.c.state != "sent"))
        with self.storage.writer.begin() as conn:
            changed = conn.execute(
                update(summary_weeks)
                .where(summary_weeks.c.week == week, condition)
                .values(state="sending", lease_until=now + lease, claimed_by=owner[:64])
            ).rowcount
            if changed and again:
                conn.execute(delete(summary_sends).where(summary_sends.c.week == week))
        return bool(changed)

    def _ensure_row(self, week: str, now: datetime) -> None:
        with self.storage.engine.connect() as conn:
            if conn.execute(select(summary_weeks.c.week).where(summary_weeks.c.week == week)).first():
                return
        try:
            with self.storage.writer.begin() as conn:
                conn.execute(insert(summary_weeks).values(week=week, state="sending", created_at=now))
        except IntegrityError:  # another sweeper made it at the same moment: the claim below decides
            pass

    def sent_to(self, week: str) -> set[str]:
        """The recipients that already have the week's summary."""
        with self.storage.engine.connect() as conn:
            rows = conn.execute(select(summary_sends.c.recipient).where(summary_sends.c.week == week))
            return set(rows.scalars())

    def mark_sent(self, week: str, recipient: str, now: datetime) -> None:
        with self.storage.writer.begin() as conn:
            conn.execute(insert(summary_sends).values(week=week, recipient=recipient, sent_at=now))

    def finish(self, week: str, owner: str, now: datetime) -> bool:
        """The week is sent (every recipient has it); False if ``owner`` lost its lease meanwhile."""
        with self.storage.writer.begin() as conn:
            return bool(
                conn.execute(
                    update(summary_weeks)
                    .where(summary_weeks.c.week == week, summary_weeks.c.claimed_by == owner[:64])
                    .values(state="sent", sent_at=now, lease_until=None)
                ).rowcount
            )

    def state(self, week: str) -> str | None:
        with self.storage.engine.connect() as conn:
            found = conn.execute(select(summary_weeks.c.state).where(summary_weeks.c.week == week)).scalar()
            return None if found is None else str(found)
