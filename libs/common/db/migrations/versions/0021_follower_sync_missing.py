"""follower sync: customers no longer following are marked unsubscribed, tracked on the job

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_by_sync_job", sa.Integer(), nullable=True))
    with op.batch_alter_table("follower_sync_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phase", sa.String(length=16), nullable=False, server_default="importing")
        )
        batch_op.add_column(
            sa.Column("missing", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("follower_sync_jobs", schema=None) as batch_op:
        batch_op.drop_column("missing")
        batch_op.drop_column("phase")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("seen_by_sync_job")
