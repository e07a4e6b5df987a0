"""email attachments: the sender's original file name (display only) and why a kept file is damaged

Revision ID: 0008_email_attachment_names
Revises: 0003_email
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_email_attachment_names"
down_revision = "0003_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_attachments") as batch:
        batch.add_column(sa.Column("original_filename", sa.String(255), nullable=True))
        batch.add_column(sa.Column("damaged", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_attachments") as batch:
        batch.drop_column("damaged")
        batch.drop_column("original_filename")
