"""What the channels keep in tables of their own that names kept uploads, in one declared list.

The sweep of abandoned uploads (``pakn.app.upload_sweep``) scans the journal's payloads itself and asks each of
these for the rest; the app hands the list to it (``pakn.app.runtime.Runtime.upload_references``), so the sweep
knows no channel.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from channels.zalo.tables import zalo_conversations
from pakn.attachments import UploadReferences, digests_named
from pakn.db import email_attachments, telegram_conversations

__all__ = ["UPLOAD_REFERENCES"]


def mail_attachments(conn: Connection, digests: Collection[str]) -> set[str]:
    """A mail's attachments are recorded with their digest (its raw payload is not scanned)."""
    found: set[str] = set()
    for chunk in _chunks(sorted(digests), 500):
        found.update(
            conn.execute(select(email_attachments.c.sha256).where(email_attachments.c.sha256.in_(chunk))).scalars()
        )
    return found


def conversations_in_progress(conversations: Table) -> UploadReferences:
    """A chat's attachments are named in its conversation's state until it is sent."""

    def named(conn: Connection, digests: Collection[str]) -> set[str]:
        return digests_named(conn.execute(select(conversations.c.state)).scalars(), digests)

    return named


UPLOAD_REFERENCES: tuple[UploadReferences, ...] = (
    mail_attachments,
    conversations_in_progress(telegram_conversations),
    conversations_in_progress(zalo_conversations),
)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
