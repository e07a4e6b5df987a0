"""Submissions left waiting for information, for the tests of what each channel is told: one journaled as a
chat conversation journals it, and the sweeper's reminder then closing, reached by moving only the journal's
clock of the row past the delays (never by sleeping)."""

from __future__ import annotations

from collections.abc import Callable

from channels.conversation.payload import build_payload
from pakn.db import make_engine, utcnow
from pakn.journal import Journal
from pakn.records import Channel, RawSubmission, Receipt
from tests.conftest import Gateway, wait_until


def journal_chat_submission(
    gateway: Gateway, channel: Channel, content_type: str, chat_id: int | str, answers: dict[str, str]
) -> Receipt:
    """A confirmed conversation of this chat, journaled as the engine journals it, then normalized."""
    payload = build_payload(
        chat_id=chat_id,
        user_id=chat_id,
        conversation_id="waiting",
        confirmed_update_id=1 if isinstance(chat_id, int) else "m-waiting",
        started_at="2026-11-22T08:00:00+00:00",
        answers=answers,
        pin=None,
        attachments=[],
    )
    journal = Journal(make_engine(f"sqlite:///{gateway.data_dir / 'journal.db'}"))
    (receipt,) = journal.intake.record([RawSubmission(channel, f"{chat_id}:waiting", payload, content_type, utcnow())])
    journal.engine.dispose()
    gateway.pakn("replay", receipt.tracking_code)
    return receipt


def reminder_then_closing(gateway: Gateway, code: str, told: Callable[[], list[str]]) -> tuple[str, str]:
    """Move the row's clock past the reminder's delay, then past the closing's: the two texts ``told`` (what
    the citizen received, in order) then holds for the code."""
    moved = "update submissions set {} = datetime('now', '-21 days') where tracking_code = ?"
    gateway.journal(moved.format("waiting_since"), code)
    (reminder,) = wait_until(lambda: [t for t in told() if t.startswith("Nhắc lại") and code in t], 30, "the reminder")
    gateway.journal(moved.format("reminded_at"), code)
    (closed,) = wait_until(lambda: [t for t in told() if "đã được đóng" in t and code in t], 30, "the closing")
    assert gateway.journal("select status from submissions where tracking_code = ?", code) == [("rejected",)]
    return reminder, closed
