"""The stats event store (R-ST-5): raw events, append-only, and their per-minute/hour/day rollups.

``stats_events`` holds every counted event once (primary key: event id and time, so PostgreSQL
can partition it by day). The rollup tables hold counts per time bucket and dimension set;
reports read only them. Dimensions that do not apply to an event are ``""`` (or ``0``), never
NULL, so that every dimension can be part of the primary key the upserts conflict on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, utcnow

# Upper bounds (ms) of the acceptance→outcome latency buckets; the last one catches the rest.
# Percentiles answered from rollups are "at most this bucket's bound".
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    100,
    250,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    3_600_000,
    2_147_483_647,
)

# Upper bounds (ms) of the customer-service duration buckets (queue wait, first response,
# session length, R-ST-1): seconds to a day; the last bucket holds everything longer.
CS_DURATION_BOUNDS_MS: tuple[int, ...] = tuple(
    s * 1000
    for s in (
        5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700,
        3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 604800,
    )
)  # fmt: skip


class StatsEvent(Base):
    """One event as seen on ``wx.events`` (a batch's items are stored one by one)."""

    __tablename__ = "stats_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class _Rollup:
    """Columns every rollup grain shares: bucket start, dimensions, count."""

    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Inbound: the callback's message type (text, event.subscribe, …).
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    priority: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Inbound: the engine's outcome; outbound: the notification's new status.
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Outbound fallbacks and failures: why (truncated).
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    errcode: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Upper bound of the latency bucket (LATENCY_BOUNDS_MS), 0 when no latency applies.
    latency_le_ms: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int]


class StatsRollupMinute(_Rollup, Base):
    """Counts per minute (kept briefly, for live charts)."""

    __tablename__ = "stats_rollup_minute"


class StatsRollupHour(_Rollup, Base):
    """Counts per hour."""

    __tablename__ = "stats_rollup_hour"


class StatsRollupDay(_Rollup, Base):
    """Counts per UTC day (kept for years; large report ranges read these)."""

    __tablename__ = "stats_rollup_day"


# The rollup table of each grain, for queries written once for all three.
ROLLUP_TABLES: dict[str, Table] = {
    "minute": cast(Table, StatsRollupMinute.__table__),
    "hour": cast(Table, StatsRollupHour.__table__),
    "day": cast(Table, StatsRollupDay.__table__),
}
