"""Dispatcher metrics: sends by channel and outcome, latency, fallbacks, errcodes, tokens."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SENDS = Counter(
    "wxhub_dispatcher_sends_total",
    "Send attempts by channel and outcome",
    ["channel", "outcome"],
)
ERRCODES = Counter(
    "wxhub_dispatcher_wechat_errcodes_total",
    "WeChat errcodes seen, by channel",
    ["channel", "errcode"],
)
FINAL_STATUS = Counter(
    "wxhub_dispatcher_final_status_total",
    "Notifications reaching a terminal status, by priority, status and channel",
    ["priority", "status", "channel"],
)
FALLBACKS = Counter("wxhub_dispatcher_fallbacks_total", "Fallback decisions, by reason", ["reason"])
SUPPRESSED = Counter(
    "wxhub_dispatcher_suppressed_total",
    "Notifications not sent on WeChat (unsubscribed, binding suspended, opted out), by reason "
    "and what happened instead (suppressed, or SMS)",
    ["reason", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "wxhub_dispatcher_delivery_seconds",
    "Acceptance to terminal status, by priority",
    ["priority"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
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
