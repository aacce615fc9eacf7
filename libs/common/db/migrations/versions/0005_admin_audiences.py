"""admin: saved audiences, publications targeting them, customer hand-overs

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_audiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_saved_audiences_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_saved_audiences_org_id_orgs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_audiences")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_saved_audiences_account_id")),
    )
    with op.batch_alter_table("saved_audiences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_audiences_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_saved_audiences_org_id"), ["org_id"])

    op.create_table(
        "customer_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_handovers_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["accounts.id"],
            name=op.f("fk_customer_handovers_from_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_account_id"],
            ["accounts.id"],
            name=op.f("fk_customer_handovers_to_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_handovers")),
    )
    with op.batch_alter_table("customer_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_handovers_customer_id"), ["customer_id"])

    # Batch mode: SQLite cannot add a foreign key to an existing table without a rebuild.
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("saved_audience_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_publications_saved_audience_id"), ["saved_audience_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_publications_saved_audience_id_saved_audiences"),
            "saved_audiences",
            ["saved_audience_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_publications_saved_audience_id_saved_audiences"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_publications_saved_audience_id"))
        batch_op.drop_column("saved_audience_id")
    with op.batch_alter_table("customer_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_handovers_customer_id"))
    op.drop_table("customer_handovers")
    with op.batch_alter_table("saved_audiences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_audiences_org_id"))
        batch_op.drop_index(batch_op.f("ix_saved_audiences_account_id"))
    op.drop_table("saved_audiences")
