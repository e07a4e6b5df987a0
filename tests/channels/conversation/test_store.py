"""The conversation store under two processes: one closing idle conversations while the citizen goes on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from channels.conversation.store import Commit, Conversation
from channels.telegram.store import ConversationStore
from config.settings import Settings
from pakn.db import make_engine, utcnow
from pakn.migrate import upgrade

CHAT = 4242


def conversation(conversation_id: str, step: str = "content") -> Conversation:
    return Conversation(conversation_id=conversation_id, step=step, started_at=utcnow().isoformat())


def store_in(tmp_path: Path) -> ConversationStore:
    settings = Settings(pakn_data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    upgrade(settings.journal_url)
    return ConversationStore(make_engine(settings.journal_url))


def test_a_stale_look_at_an_idle_conversation_never_closes_the_one_the_citizen_started_since(tmp_path: Path) -> None:
    """Two processes close idle conversations.  B read the idle one; A closed it and told the citizen; the
    citizen started anew (version 1 again).  B's close must not take the new conversation (nor tell the
    citizen twice that it timed out)."""
    store = store_in(tmp_path)
    idle_since = utcnow() - timedelta(minutes=10)
    assert store.commit(1, CHAT, None, conversation("first"), idle_since) is Commit.DONE
    before = utcnow() - timedelta(minutes=5)
    (seen_by_a,) = store.idle(before)
    (seen_by_b,) = store.idle(before)
    assert store.expire(seen_by_a, before)  # A closes it
    assert store.commit(2, CHAT, None, conversation("second"), utcnow()) is Commit.DONE  # the citizen, anew
    assert not store.expire(seen_by_b, utcnow())  # B's stale look, even with a later cut-off
    current = store.load(CHAT)
    assert current is not None and current.conversation.conversation_id == "second"


def test_a_turn_read_before_the_conversation_was_closed_and_begun_again_is_refused(tmp_path: Path) -> None:
    """A turn prepared on the first conversation (version 1) is not written over the second (version 1 too)."""
    store = store_in(tmp_path)
    assert store.commit(1, CHAT, None, conversation("first"), utcnow() - timedelta(minutes=10)) is Commit.DONE
    stale = store.load(CHAT)
    assert stale is not None
    assert store.expire(stale, utcnow())
    assert store.commit(2, CHAT, None, conversation("second"), utcnow()) is Commit.DONE
    moved = store.commit(3, CHAT, stale, conversation("first", step="location"), utcnow())
    assert moved is Commit.CONFLICT
    current = store.load(CHAT)
    assert current is not None and (current.conversation.conversation_id, current.conversation.step) == (
        "second",
        "content",
    )
