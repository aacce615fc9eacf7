"""media_uploads: materials uploaded to WeChat for replies (temporary media ids with their expiry,
permanent cover URLs)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 14:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_uploads",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_id", sa.String(length=256), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "uploaded_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_media_uploads_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_media_uploads_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "material_id", "media_type", name=op.f("pk_media_uploads")
        ),
    )
    op.create_index(op.f("ix_media_uploads_material_id"), "media_uploads", ["material_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_media_uploads_material_id"), table_name="media_uploads")
    op.drop_table("media_uploads")
