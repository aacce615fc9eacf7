"""applications of prospects (/h5/apply) with their status

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("product_name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_applications_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_who", "applications", ["account_id", "openid", "created_at"]
    )
    op.create_index(op.f("ix_applications_status"), "applications", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_applications_status"), table_name="applications")
    op.drop_index("ix_applications_who", table_name="applications")
    op.drop_table("applications")
