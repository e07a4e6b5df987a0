"""notification delivery state; keys for finding repeated submissions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.create_index("ix_notifications_due", ["sent_at", "due_at"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("contact_key", sa.String(320), nullable=True))
        batch.add_column(sa.Column("content_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("repeat_of", sa.String(20), nullable=True))
        batch.create_index("ix_submissions_contact_key", ["contact_key"])
        batch.create_index("ix_submissions_content_key", ["content_key"])


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_content_key")
        batch.drop_index("ix_submissions_contact_key")
        batch.drop_column("repeat_of")
        batch.drop_column("content_key")
        batch.drop_column("contact_key")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_due")
        batch.drop_column("last_error")
        batch.drop_column("lease_until")
        batch.drop_column("due_at")
        batch.drop_column("attempts")
