"""The webhook's inbox in the journal: an event is stored (and so 200 is owed to Zalo) before any work.

``accept`` is the whole of the webhook's work: one insert keyed by the event's id, so a redelivered
event finds its row and is recognised.  The web process's Zalo loop (``channels.zalo.chat``) then
claims pending events oldest first (one per user at a time), lets the conversation take its turn
and sends the replies.  A claim lasts ``CLAIM`` and is released on failure, so an event whose
process died is taken again; the conversation's own turn ids (``zalo_updates``) make a second run
of a handled turn a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from channels.zalo.events import Event
from channels.zalo.tables import zalo_events
from pakn.db import utcnow, writer

CLAIM = timedelta(seconds=120)


@dataclass(frozen=True, slots=True)
class Pending:
    event: Event
    attempts: int


class Inbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)

    def accept(self, event: Event, now: datetime) -> bool:
        """Store the event; False: it was stored before (a redelivery)."""
        try:
            with self._writer.begin() as conn:
                conn.execute(
                    insert(zalo_events).values(
                        event_id=event.event_id,
                        user_id=event.user_id,
                        event_name=event.event_name,
                        body=event.body,
                        received_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    def claim(self, limit: int = 50) -> list[Pending]:
        """The oldest pending event of each user, claimed by this process.

        One event per user at a time, across processes: a user's next event is not taken while an
        earlier one is pending (claimed elsewhere, or waiting for its retry), so each conversation
        sees its messages in the order Zalo delivered them.
        """
        now = utcnow()
        table = zalo_events
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.event_id, table.c.user_id, table.c.claimed_until)
                .where(table.c.handled_at.is_(None))
                .order_by(table.c.received_at, table.c.event_id)
                .limit(limit * 4)
            ).all()
        users: set[str] = set()
        candidates = []
        for row in rows:
            if row.user_id in users:
                continue
            users.add(row.user_id)
            if row.claimed_until is None or row.claimed_until < now:
                candidates.append(row.event_id)
        claimed = []
        for event_id in candidates[:limit]:
            with self._writer.begin() as conn:
                taken = conn.execute(
                    update(table)
                    .where(
                        table.c.event_id == event_id,
                        table.c.handled_at.is_(None),
                        or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                    )
                    .values(claimed_until=now + CLAIM, attempts=table.c.attempts + 1)
                ).rowcount
                got = conn.execute(select(table).where(table.c.event_id == event_id)).one() if taken else None
            if got is not None:
                event = Event(got.event_id, got.event_name, got.user_id, 0, got.body)
                claimed.append(Pending(event, got.attempts))
        return claimed

    def handled(self, event_id: str) -> None:
        """Done: the citizen's words are dropped, the id stays for dedupe."""
        with self._writer.begin() as conn:
            conn.execute(
                update(zalo_events)
                .where(zalo_events.c.event_id == event_id)
                .values(handled_at=utcnow(), claimed_until=None, body="")
            )

    def release(self, event_id: str, retry_in: timedelta) -> None:
        """Not handled this time: taken again after ``retry_in``."""
        with self._writer.begin() as conn:
            conn.execute(
                update(zalo_events).where(zalo_events.c.event_id == event_id).values(claimed_until=utcnow() + retry_in)
            )

    def forget(self, before: datetime) -> int:
        """Zalo redelivers within minutes; handled ids older than ``before`` need not be kept."""
        with self._writer.begin() as conn:
            return int(
                conn.execute(
                    delete(zalo_events).where(zalo_events.c.handled_at.is_not(None), zalo_events.c.handled_at < before)
                ).rowcount
            )
