"""delivery reports: WeChat's job-finish reach on notifications, msgid look-up; short links

Revision ID: 0013_h13
Revises: 0012
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_h13"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # MASSSENDJOBFINISH counts of a mass send (R-OUT-9); None until WeChat reports.
    for column in ("reach_total", "reach_filtered", "reach_sent", "reach_errors"):
        op.add_column("notifications", sa.Column(column, sa.Integer(), nullable=True))
    # Job-finish events name the message by WeChat's msgid only.
    op.create_index("ix_notifications_account_msgid", "notifications", ["account_id", "wechat_msgid"])


def downgrade() -> None:
    op.drop_index("ix_notifications_account_msgid", table_name="notifications")
    for column in ("reach_errors", "reach_sent", "reach_filtered", "reach_total"):
        op.drop_column("notifications", column)
