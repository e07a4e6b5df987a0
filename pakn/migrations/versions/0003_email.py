"""email channel: IMAP checkpoints, attachments, outbound Message-IDs, answer counts per sender

Revision ID: 0003_email
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_email"
down_revision = "0002"
branch_labels = ("email",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_checkpoints",
        sa.Column("account", sa.String(320), primary_key=True),
        sa.Column("folder", sa.String(255), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), primary_key=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "email_attachments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("part_index", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("refused", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("submission_id", "source_id", "part_index", name="uq_email_attachments_part"),
    )
    op.create_table(
        "email_outbound",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notifications.id"), unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_email_outbound_submission", "email_outbound", ["submission_id"])
    op.create_table(
        "email_answer_counts",
        sa.Column("sender", sa.String(320), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("email_answer_counts")
    op.drop_index("ix_email_outbound_submission", table_name="email_outbound")
    op.drop_table("email_outbound")
    op.drop_table("email_attachments")
    op.drop_table("email_checkpoints")
