"""contact changes asked for by a completion, waiting for the code sent on the original channel

Revision ID: 0009_contact_changes
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_contact_changes"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("old_value", sa.String(320), nullable=False),
        sa.Column("new_value", sa.String(320), nullable=False),
        sa.Column("code_hmac", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notifications.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_contact_changes_submission", "contact_changes", ["submission_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_contact_changes_submission", "contact_changes")
    op.drop_table("contact_changes")
