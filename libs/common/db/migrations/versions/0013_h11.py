"""customers: reminder opt-outs (服务订阅), encrypted bound phones and their verification codes;
reminder types: SMS to unsubscribed customers

Revision ID: 0013_h11
Revises: 0012
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0013_h11"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_types", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sms_to_unsubscribed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "reminder_opt_outs",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reminder_type_id", sa.Integer(), nullable=False),
        sa.Column("at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reminder_opt_outs_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reminder_type_id"],
            ["reminder_types.id"],
            name=op.f("fk_reminder_opt_outs_reminder_type_id_reminder_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "reminder_type_id", name=op.f("pk_reminder_opt_outs")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
    op.create_table(
        "phone_codes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "expires_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_phone_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "openid", name=op.f("pk_phone_codes")),
    )
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_codes_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_codes_expires_at"))
    op.drop_table("phone_codes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("phone_enc")
    op.drop_table("reminder_opt_outs")
    with op.batch_alter_table("reminder_types", schema=None) as batch_op:
        batch_op.drop_column("sms_to_unsubscribed")
