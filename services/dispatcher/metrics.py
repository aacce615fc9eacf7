"""Dispatcher metrics: sends by channel and outcome, latency, fallbacks, errcodes, tokens.

Delivery metrics carry the account's code (``account``): one account's outage, quota or blocked
followers must show on its own, not as a dip in the platform's average (R-ST-4).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SENDS = Counter(
    "wxhub_dispatcher_sends_total",
    "Send attempts by account, channel and outcome",
    ["account", "channel", "outcome"],
)
ERRCODES = Counter(
    "wxhub_dispatcher_wechat_errcodes_total",
    "WeChat errcodes seen, by account and channel",
    ["account", "channel", "errcode"],
)
FINAL_STATUS = Counter(
    "wxhub_dispatcher_final_status_total",
    "Notifications reaching a terminal status, by account, priority, status and channel",
    ["account", "priority", "status", "channel"],
)
FALLBACKS = Counter(
    "wxhub_dispatcher_fallbacks_total",
    "Fallback decisions, by account and reason",
    ["account", "reason"],
)
SUPPRESSED = Counter(
    "wxhub_dispatcher_suppressed_total",
    "Notifications not sent on WeChat (unsubscribed, binding suspended, opted out), by reason "
    "and what happened instead (suppressed, or SMS)",
    ["reason", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "wxhub_dispatcher_delivery_seconds",
    "Acceptance to terminal status (delivered, fallback_sent, failed), by account, priority and"
    " status",
    ["account", "priority", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
REPORT_LATENCY = Histogram(
    "wxhub_dispatcher_report_seconds",
    "Acceptance to WeChat's delivery report (confirmed, blocked, failed_on_wechat), by account"
    " and status",
    ["account", "status"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
SEND_SECONDS = Histogram(
    "wxhub_dispatcher_send_seconds",
    "Duration of one channel send",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
TOKEN_REFRESHES = Counter(
    "wxhub_dispatcher_token_refreshes_total", "access_token refreshes by this replica", ["result"]
)
LATE_REPLIES = Counter(
    "wxhub_dispatcher_late_replies_total",
    "Late passive replies sent as custom messages",
    ["outcome"],
)
# The shared rate limiter's fallback (services/dispatcher/rate_limit/shared.py): Redis unreachable,
# so this replica paces itself at its share of the configured rates.
RATE_LIMIT_DEGRADED = Gauge(
    "wxhub_dispatcher_rate_limit_degraded",
    "1 while the shared rate limits (Redis) are unreachable and this replica paces itself at"
    " rate / WXHUB_RATE_LIMIT_REPLICAS",
)
RATE_LIMIT_FALLBACKS = Counter(
    "wxhub_dispatcher_rate_limit_fallbacks_total",
    "Rate-limit decisions taken locally because Redis was unreachable, by API",
    ["api"],
)
WECHAT_REPORTS = Counter(
    "wxhub_dispatcher_wechat_reports_total",
    "WeChat job-finish reports applied, by account, kind (template | mass) and resulting status",
    ["account", "kind", "status"],
)
