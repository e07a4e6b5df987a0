"""the week's summary for leaders: summary_weeks (one per ISO week, leased) and summary_sends (per recipient)

Revision ID: 0012_summary
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_summary"
down_revision = "0002"
branch_labels = ("summary",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_weeks",
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "summary_sends",
        sa.Column("week", sa.String(8), sa.ForeignKey("summary_weeks.week"), primary_key=True),
        sa.Column("recipient", sa.String(330), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("summary_sends")
    op.drop_table("summary_weeks")
