"""material files in the database: material_chunks (256 KiB pieces per storage key)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Files uploaded before this revision stay on the old replica's disk: re-upload them (the
    # material rows keep their storage keys; a download answers 404 until then).
    op.create_table(
        "material_chunks",
        sa.Column("storage_key", sa.String(length=256), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", "seq", name=op.f("pk_material_chunks")),
    )


def downgrade() -> None:
    op.drop_table("material_chunks")
