"""Stats settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from libs.common.settings import CommonSettings


class StatsSettings(CommonSettings):
    """What the stats service needs beyond the common settings."""

    service_name: str = "stats"
