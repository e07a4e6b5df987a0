"""The Zalo channel's tables in the journal's database (migration 0010_zalo), owned by this channel.

Zalo names users and messages with strings of digits (ids that may not fit a signed 64-bit integer),
so the keys here are strings.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from pakn.db import UTCDateTime, metadata

# Every event the webhook accepted, by msg_id (or, for follow/unfollow, event:user:timestamp): the
# inbox the webhook answers 200 from, and what makes a redelivered event a no-op.  ``body`` (the
# citizen's words) is emptied once the event is handled; the row stays two days for dedupe.
zalo_events = Table(
    "zalo_events",
    metadata,
    Column("event_id", String(96), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("event_name", String(48), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("handled_at", UTCDateTime),
    Index("ix_zalo_events_pending", "handled_at", "received_at"),
)

# Events the conversation has taken a turn for (the shared store's update ids).
zalo_updates = Table(
    "zalo_updates",
    metadata,
    Column("update_id", String(96), primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
    Index("ix_zalo_updates_processed", "processed_at"),
)

# The conversation each Zalo user is in with the OA (same shape as telegram_conversations).
zalo_conversations = Table(
    "zalo_conversations",
    metadata,
    Column("chat_id", String(64), primary_key=True),
    Column("conversation_id", String(32), nullable=False),
    Column("step", String(24), nullable=False),
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_zalo_conversations_updated", "updated_at"),
)

# The OA's tokens (one row, id 1): seeded from ZALO_REFRESH_TOKEN at the first start, then rotated here.
zalo_tokens = Table(
    "zalo_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("refreshed_at", UTCDateTime),
    Column("version", Integer, nullable=False),
)
