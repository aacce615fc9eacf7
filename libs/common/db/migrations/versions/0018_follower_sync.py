"""follower sync: jobs importing an account's existing followers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follower_sync_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column(
            "started_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_follower_sync_jobs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_sync_jobs")),
    )
    op.create_index(
        op.f("ix_follower_sync_jobs_account_id"), "follower_sync_jobs", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_follower_sync_jobs_account_id"), table_name="follower_sync_jobs")
    op.drop_table("follower_sync_jobs")
