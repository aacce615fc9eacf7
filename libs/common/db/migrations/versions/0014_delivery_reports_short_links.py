"""delivery reports: WeChat's job-finish reach on notifications, msgid look-up; short links

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # MASSSENDJOBFINISH counts of a mass send (R-OUT-9); None until WeChat reports.
    for column in ("reach_total", "reach_filtered", "reach_sent", "reach_errors"):
        op.add_column("notifications", sa.Column(column, sa.Integer(), nullable=True))
    # Job-finish events name the message by WeChat's msgid only.
    op.create_index(
        "ix_notifications_account_msgid", "notifications", ["account_id", "wechat_msgid"]
    )
    op.add_column(
        "accounts",
        sa.Column("track_clicks", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "short_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("notification_id", sa.String(length=32), nullable=True),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", libs.common.db.models._base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_short_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_short_links")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_short_links_dedup_key")),
    )
    op.create_index(op.f("ix_short_links_account_id"), "short_links", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_short_links_account_id"), table_name="short_links")
    op.drop_table("short_links")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("track_clicks")
    op.drop_index("ix_notifications_account_msgid", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        for column in ("reach_errors", "reach_sent", "reach_filtered", "reach_total"):
            batch.drop_column(column)
