"""Stats metrics: what happened across the platform, as seen on ``wx.events``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("wxhub_events_total", "Events seen on wx.events, by routing key", ["event"])
INBOUND_HANDLED = Counter(
    "wxhub_stats_inbound_total",
    "Answered callbacks by account, kind, answer and outcome (R-ST-2, R-ST-3 command popularity)",
    ["account", "kind", "answer", "outcome"],
)
LAST_HEARTBEAT = Gauge(
    "wxhub_last_heartbeat_timestamp_seconds",
    "Unix time of the last heartbeat seen per service instance (a view for humans; alerts use"
    " each instance's own wxhub_heartbeat_sent_timestamp_seconds)",
    # Not ``instance``: that is the target label Prometheus attaches to every scraped series.
    ["service", "instance_id"],
)
DELIVERIES = Counter(
    "wxhub_stats_deliveries_total",
    "Notification status changes by account, status and channel (each event once, R-ST-4)",
    ["account", "status", "channel"],
)
DELIVERY_LATENCY = Histogram(
    "wxhub_stats_delivery_latency_seconds",
    "Acceptance to outcome (delivered, fallback_sent, suppressed, failed) by account and outcome",
    ["account", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
)
CLICKS = Counter(
    "wxhub_stats_short_link_requests_total",
    "Short-link requests by account and result (redirected, refused: forged or unknown code)",
    ["account", "result"],
)
