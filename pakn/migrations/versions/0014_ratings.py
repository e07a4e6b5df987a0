"""satisfaction: ratings (asked once when a case is resolved; the citizen's rating, delivered to the case store)

Revision ID: 0014_ratings
Revises: 0013_loop
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_ratings"
down_revision = "0013_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, unique=True),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id")),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.String(16)),
        sa.Column("comment", sa.Text),
        sa.Column("rated_at", sa.DateTime(timezone=True)),
        sa.Column("channel", sa.String(16)),
        sa.Column("source_id", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_ratings_state_due", "ratings", ["state", "due_at"])
    op.create_index("ix_ratings_source", "ratings", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_ratings_source", "ratings")
    op.drop_index("ix_ratings_state_due", "ratings")
    op.drop_table("ratings")
