"""Engine metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES = Counter(
    "wxhub_engine_messages_total",
    "Inbound messages handled, by account, kind and answer",
    ["account", "kind", "answer"],
)
OUTCOMES = Counter(
    "wxhub_engine_reply_outcomes_total",
    "How answers left the engine: passive, late (customer-service message), duplicate",
    ["outcome"],
)
HANDLE_SECONDS = Histogram(
    "wxhub_engine_handle_seconds",
    "Time to answer one inbound message",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
