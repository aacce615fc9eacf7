"""customers: reminder opt-outs (服务订阅), encrypted bound phones and their verification codes,
daily operation counts; reminder types: SMS to unsubscribed customers; accounts: operation limits

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0015"
down_revision = "0014"
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
    op.create_table(
        "operation_counts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_operation_counts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "openid", "operation", "day", name=op.f("pk_operation_counts")
        ),
    )
    with op.batch_alter_table("operation_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_counts_day"), ["day"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("operation_limits", sa.JSON(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("operation_limits")
    with op.batch_alter_table("operation_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_counts_day"))
    op.drop_table("operation_counts")
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_codes_expires_at"))
    op.drop_table("phone_codes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("phone_enc")
    op.drop_table("reminder_opt_outs")
    with op.batch_alter_table("reminder_types", schema=None) as batch_op:
        batch_op.drop_column("sms_to_unsubscribed")
