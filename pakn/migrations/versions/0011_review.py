"""triage inbox: staff actions on submissions (review_actions); `held` needs no schema change

Revision ID: 0011_review
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_review"
down_revision = "0002"
branch_labels = ("review",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("field", sa.String(24)),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("rule", sa.String(200)),
    )
    op.create_index("ix_review_actions_submission", "review_actions", ["submission_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_review_actions_submission", table_name="review_actions")
    op.drop_table("review_actions")
