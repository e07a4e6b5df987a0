"""the agency <-> citizen loop: case_questions (the case store's questions) and citizen_replies (answers, outbox)

Revision ID: 0013_loop
Revises: 0012_summary
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_loop"
down_revision = "0012_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("question_key", sa.String(64), nullable=False, unique=True),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_id", sa.Integer, sa.ForeignKey("notifications.id")),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_case_questions_submission", "case_questions", ["submission_id", "answered_at"])
    op.create_table(
        "citizen_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("question_id", sa.Integer, sa.ForeignKey("case_questions.id"), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_citizen_replies_state_due", "citizen_replies", ["state", "due_at"])
    op.create_index("ix_citizen_replies_source", "citizen_replies", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_citizen_replies_source", "citizen_replies")
    op.drop_index("ix_citizen_replies_state_due", "citizen_replies")
    op.drop_table("citizen_replies")
    op.drop_index("ix_case_questions_submission", "case_questions")
    op.drop_table("case_questions")
