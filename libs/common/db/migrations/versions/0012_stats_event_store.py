"""stats: event store (raw events partitioned by day on PostgreSQL) and rollups

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import libs.common.db.models._base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ROLLUPS = ("stats_rollup_minute", "stats_rollup_hour", "stats_rollup_day")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Partitioned by day so retention drops whole partitions; the stats service creates
        # the partitions ahead (services/stats/store.py).
        op.execute(
            "CREATE TABLE stats_events ("
            " id VARCHAR(32) NOT NULL,"
            " occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " event VARCHAR(64) NOT NULL,"
            " account VARCHAR(64) NOT NULL,"
            " payload JSON NOT NULL,"
            " stored_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " CONSTRAINT pk_stats_events PRIMARY KEY (id, occurred_at)"
            ") PARTITION BY RANGE (occurred_at)"
        )
    else:
        op.create_table(
            "stats_events",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column(
                "occurred_at",
                libs.common.db.models._base.UtcDateTime(timezone=True),
                nullable=False,
            ),
            sa.Column("event", sa.String(length=64), nullable=False),
            sa.Column("account", sa.String(length=64), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column(
                "stored_at", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
            ),
            sa.PrimaryKeyConstraint("id", "occurred_at", name=op.f("pk_stats_events")),
        )
    for table in _ROLLUPS:
        op.create_table(
            table,
            sa.Column(
                "bucket", libs.common.db.models._base.UtcDateTime(timezone=True), nullable=False
            ),
            sa.Column("event", sa.String(length=64), nullable=False),
            sa.Column("account", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=32), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("priority", sa.String(length=16), nullable=False),
            sa.Column("outcome", sa.String(length=32), nullable=False),
            sa.Column("reason", sa.String(length=64), nullable=False),
            sa.Column("errcode", sa.String(length=16), nullable=False),
            sa.Column("latency_le_ms", sa.Integer(), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(
                "bucket",
                "event",
                "account",
                "kind",
                "channel",
                "priority",
                "outcome",
                "reason",
                "errcode",
                "latency_le_ms",
                name=op.f(f"pk_{table}"),
            ),
        )


def downgrade() -> None:
    for table in reversed(_ROLLUPS):
        op.drop_table(table)
    op.drop_table("stats_events")
