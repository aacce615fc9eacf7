"""Gateway metrics: WeChat callbacks, and the business systems' notification API."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CALLBACKS = Counter(
    "wxhub_gateway_callbacks_total",
    "WeChat callbacks by account and outcome (replied, success, retry_replied, kept, rejected_*)",
    ["account", "outcome"],
)
CALLBACK_LATENCY = Histogram(
    "wxhub_gateway_callback_seconds",
    "Time from request to response for WeChat callback POSTs",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4.5, 10),
)
LATE_REPLIES = Counter(
    "wxhub_gateway_reply_deadline_missed_total",
    "Callbacks answered 'success' because the engine missed the passive-reply deadline",
    ["account"],
)
INBOUND_BACKLOG = Gauge(
    "wxhub_gateway_inbound_backlog",
    "Callbacks answered while the bus was unreachable, held until they can be published",
)

# -- business-system notification API ------------------------------------------------------

NOTIFICATIONS = Counter(
    "wxhub_gateway_notifications_total",
    "Notification requests by endpoint (single, batch, csv) and outcome "
    "(accepted, duplicate, rejected, publish_failed)",
    ["endpoint", "outcome"],
)
ACCEPT_LATENCY = Histogram(
    "wxhub_gateway_notification_accept_seconds",
    "Time to validate, store and publish one call's notifications, by endpoint",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
AUTH_FAILURES = Counter(
    "wxhub_gateway_api_auth_failures_total",
    "Business API requests refused by the signature check, by error code",
    ["code"],
)
