"""Gateway settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from libs.common.settings import CommonSettings


class GatewaySettings(CommonSettings):
    """What the gateway needs beyond the common settings."""

    service_name: str = "gateway"
    max_body_bytes: int = 1_048_576
    # WeChat gives up after 5 s; answer before that with whatever we have.
    reply_deadline_s: float = 4.5
    # Freshness window for the query's timestamp (WeChat documents none; 0 disables the check).
    timestamp_tolerance_s: int = 300
    account_refresh_s: float = 5.0
