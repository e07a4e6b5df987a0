"""zalo channel: accepted events (inbox and dedupe), conversation turns and state, the OA's tokens

Revision ID: 0010_zalo
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_zalo"
down_revision = "0002"
branch_labels = ("zalo",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_events",
        sa.Column("event_id", sa.String(96), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("event_name", sa.String(48), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_zalo_events_pending", "zalo_events", ["handled_at", "received_at"])
    op.create_table(
        "zalo_updates",
        sa.Column("update_id", sa.String(96), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_zalo_updates_processed", "zalo_updates", ["processed_at"])
    op.create_table(
        "zalo_conversations",
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_zalo_conversations_updated", "zalo_conversations", ["updated_at"])
    op.create_table(
        "zalo_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_tokens")
    op.drop_index("ix_zalo_conversations_updated", "zalo_conversations")
    op.drop_table("zalo_conversations")
    op.drop_index("ix_zalo_updates_processed", "zalo_updates")
    op.drop_table("zalo_updates")
    op.drop_index("ix_zalo_events_pending", "zalo_events")
    op.drop_table("zalo_events")
