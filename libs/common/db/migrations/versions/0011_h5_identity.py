"""identity on second-level pages: used page links, failed binding attempts

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "h5_link_uses",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("page", sa.String(length=32), nullable=False),
        sa.Column("used_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "expires_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_h5_link_uses")),
    )
    with op.batch_alter_table("h5_link_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_h5_link_uses_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "binding_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_binding_failures_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_failures")),
    )
    with op.batch_alter_table("binding_failures", schema=None) as batch_op:
        batch_op.create_index("ix_binding_failures_who", ["account_id", "openid", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("binding_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_binding_failures_who")
    op.drop_table("binding_failures")
    with op.batch_alter_table("h5_link_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_h5_link_uses_expires_at"))
    op.drop_table("h5_link_uses")
