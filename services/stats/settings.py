"""Stats settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from libs.common.settings import CommonSettings


class StatsSettings(CommonSettings):
    """What the stats service needs beyond the common settings."""

    service_name: str = "stats"

    # Event store (R-ST-5). Off: counters in memory only, nothing stored.
    stats_store_events: bool = True
    # Retention per table, in days; raw events can be exported before (`wxhub stats-export`).
    stats_raw_retention_days: int = 14
    stats_minute_retention_days: int = 3
    stats_hour_retention_days: int = 90
    stats_day_retention_days: int = 3650
    # Instances silent this long disappear from the admin overview's heartbeat list.
    stats_heartbeat_retention_days: int = 7
    # Partitions created ahead (PostgreSQL) and expired data dropped, this often.
    stats_maintenance_interval_s: float = 3600.0
    stats_partition_days_ahead: int = 2
    # Events per group commit (messages share one transaction up to this many messages).
    stats_commit_max_messages: int = 200
    stats_prefetch: int = 512
    # While the database fails, a message goes back to the queue after this pause.
    stats_store_retry_s: float = 1.0
