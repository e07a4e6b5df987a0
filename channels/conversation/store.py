"""Conversation state and handled update ids, kept in the journal's database (each chat platform in
tables of its own, of the same shape: ``telegram_updates``/``telegram_conversations``, ``zalo_*``).

Why the journal and not memory: a restart of the bot (or of the web process in webhook mode) must
neither lose a half-finished conversation nor handle an update the platform delivers again.  Each turn is
committed in one transaction: the update id (unique: a second delivery finds it) and the new state,
guarded by a version number so two processes cannot both move the same conversation on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from pakn.db import writer
from pakn.journal.rows import record_of

# A chat and an update as the platform names them: Telegram's are numbers, Zalo's strings.
ChatId = int | str
UpdateId = int | str


@dataclass(frozen=True, slots=True)
class Conversation:
    """One citizen's submission in the making: the question asked and the answers accepted so far."""

    conversation_id: str
    step: str
    started_at: str
    user_id: int | str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    pin: dict[str, float] | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    completes: str | None = None  # tracking code of a submission waiting for information, being completed

    def to_json(self) -> str:
        data = asdict(self)
        data["attachments"] = list(self.attachments)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Conversation:
        data = json.loads(text)
        data["attachments"] = tuple(data.get("attachments", ()))
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Stored:
    chat_id: ChatId
    conversation: Conversation
    version: int
    updated_at: datetime


class Commit(Enum):
    DONE = "done"
    DUPLICATE = "duplicate"  # the update was handled already (by this or another process)
    CONFLICT = "conflict"  # the conversation moved on meanwhile: handle the update again


class _Conflict(Exception):
    pass


class ConversationStore:
    """One platform's conversations: ``updates`` (update_id, processed_at) and ``conversations`` (chat_id, ...)."""

    def __init__(self, engine: Engine, updates: Table, conversations: Table) -> None:
        self.engine = engine
        self.updates = updates
        self.conversations = conversations
        self._writer = writer(engine)

    def seen(self, update_id: UpdateId) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(select(self.updates.c.update_id).where(self.updates.c.update_id == update_id)).first()
                is not None
            )

    def load(self, chat_id: ChatId) -> Stored | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(self.conversations).where(self.conversations.c.chat_id == chat_id)).first()
        if row is None:
            return None
        return _stored(row)

    def commit(
        self,
        update_id: UpdateId,
        chat_id: ChatId | None,
        previous: Stored | None,
        new: Conversation | None,
        now: datetime,
        *,
        touch: bool = True,
    ) -> Commit:
        """Record the update as handled and move the chat's conversation from ``previous`` to ``new``.

        ``touch=False`` keeps the idle clock where it was (a look-up is not an answer).
        """
        try:
            with self._writer.begin() as conn:
                if conn.execute(select(self.updates.c.update_id).where(self.updates.c.update_id == update_id)).first():
                    return Commit.DUPLICATE
                conn.execute(insert(self.updates).values(update_id=update_id, processed_at=now))
                if chat_id is not None and not self._move(conn, chat_id, previous, new, now, touch):
                    raise _Conflict  # rolls the update id back too: the update is handled again
        except _Conflict:
            return Commit.CONFLICT
        except IntegrityError:
            # Another process inserted the same update id or a new conversation for the chat first.
            return Commit.DUPLICATE if self.seen(update_id) else Commit.CONFLICT
        return Commit.DONE

    def _move(
        self, conn: Any, chat_id: ChatId, previous: Stored | None, new: Conversation | None, now: datetime, touch: bool
    ) -> bool:
        table = self.conversations
        if previous is None:
            if new is None:
                return conn.execute(select(table.c.chat_id).where(table.c.chat_id == chat_id)).first() is None
            conn.execute(
                insert(table).values(
                    chat_id=chat_id,
                    conversation_id=new.conversation_id,
                    step=new.step,
                    state=new.to_json(),
                    version=1,
                    updated_at=now,
                )
            )
            return True
        # The same conversation at the same version: a conversation closed and started anew meanwhile
        # (by another process) has a version of its own again, but not the same id.
        same = (
            (table.c.chat_id == chat_id)
            & (table.c.version == previous.version)
            & (table.c.conversation_id == previous.conversation.conversation_id)
        )
        if new is None:
            return bool(conn.execute(delete(table).where(same)).rowcount)
        return bool(
            conn.execute(
                update(table)
                .where(same)
                .values(
                    conversation_id=new.conversation_id,
                    step=new.step,
                    state=new.to_json(),
                    version=previous.version + 1,
                    updated_at=now if touch else previous.updated_at,
                )
            ).rowcount
        )

    def mark(self, update_id: UpdateId, now: datetime) -> Commit:
        """Record an update nothing is done with (a group message, an edit), so it is not looked at again."""
        return self.commit(update_id, None, None, None, now)

    def idle(self, before: datetime, limit: int = 500) -> list[Stored]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(self.conversations)
                .where(self.conversations.c.updated_at < before)
                .order_by(self.conversations.c.updated_at)
                .limit(limit)
            ).all()
        return [_stored(r) for r in rows]

    def expire(self, stored: Stored, before: datetime) -> bool:
        """Close an idle conversation unless it moved on meanwhile; True: this caller closed it.

        Its version alone is no proof: another process may have closed it and the citizen started a new
        one since, which begins at the same version.  Still idle (last touched before ``before``) is."""
        with self._writer.begin() as conn:
            return bool(
                conn.execute(
                    delete(self.conversations).where(
                        self.conversations.c.chat_id == stored.chat_id,
                        self.conversations.c.version == stored.version,
                        self.conversations.c.conversation_id == stored.conversation.conversation_id,
                        self.conversations.c.updated_at < before,
                    )
                ).rowcount
            )

    def forget_updates(self, before: datetime) -> int:
        """Platforms redeliver an update for at most a day; older ids need not be kept."""
        with self._writer.begin() as conn:
            return int(conn.execute(delete(self.updates).where(self.updates.c.processed_at < before)).rowcount)


def _stored(row: Row[Any]) -> Stored:
    return record_of(Stored, row, conversation=Conversation.from_json(row.state))
