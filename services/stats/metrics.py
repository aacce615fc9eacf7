"""Stats metrics: what happened across the platform, as seen on ``wx.events``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
