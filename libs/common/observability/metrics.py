"""Prometheus helpers: the ``/metrics`` endpoint and metric families shared by all services."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

SERVICE_UP = Gauge("wxhub_service_up", "1 while the service instance runs", ["service"])
BUS_DELIVERIES = Counter(
    "wxhub_bus_deliveries_total",
    "Consumed bus messages by exchange and how they were settled (ack, requeue, dead)",
    ["exchange", "outcome"],
)
# Set by each instance itself, so Prometheus sees one series per scraped target: a frozen
# replica fails its scrape (``up == 0``) and a departed one leaves discovery (no series at all).
HEARTBEAT_SENT = Gauge(
    "wxhub_heartbeat_sent_timestamp_seconds",
    "Unix time this instance last published its heartbeat on the bus",
    ["service"],
)


async def metrics_endpoint(_request: Request) -> Response:
    """Expose the process's metrics in the Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


# The callback ledger's fallback (libs/common/callback_ledger/): Redis unreachable, so this
# instance deduplicates callbacks in process only (a retry on another replica is not recognised).
LEDGER_DEGRADED = Gauge(
    "wxhub_callback_ledger_degraded",
    "1 while the shared callback ledger (Redis) is unreachable and callbacks are deduplicated in"
    " this process only",
)
LEDGER_FALLBACKS = Counter(
    "wxhub_callback_ledger_fallbacks_total",
    "Callback ledger operations served in process because Redis was unreachable",
    ["operation"],
)
