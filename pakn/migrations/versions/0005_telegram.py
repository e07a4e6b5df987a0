"""telegram channel: handled update ids, conversation state per chat

Revision ID: 0005_telegram
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_telegram"
down_revision = "0002"
branch_labels = ("telegram",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_telegram_updates_processed", "telegram_updates", ["processed_at"])
    op.create_table(
        "telegram_conversations",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_telegram_conversations_updated", "telegram_conversations", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_telegram_conversations_updated", "telegram_conversations")
    op.drop_table("telegram_conversations")
    op.drop_index("ix_telegram_updates_processed", "telegram_updates")
    op.drop_table("telegram_updates")
