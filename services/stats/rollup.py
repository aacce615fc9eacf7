"""Which rollup rows an event adds to: its time buckets and its dimensions (pure functions).

Inbound (``inbound.handled``): account, message type, outcome. Outbound (``delivery.<status>``):
account, channel, priority, status, reason, errcode and, for outcomes, the latency bucket of
acceptance→outcome. Any other event is counted by account only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from libs.common.db.models import LATENCY_BOUNDS_MS
from services.stats.unpack import StoredEvent

GRAINS = ("minute", "hour", "day")
# Statuses that end the acceptance→outcome latency.
OUTCOMES = frozenset({"delivered", "fallback_sent", "failed"})


@dataclass(frozen=True, slots=True, order=True)
class RollupKey:
    """One rollup row's identity (its grain is the table)."""

    bucket: datetime
    event: str
    account: str
    kind: str = ""
    channel: str = ""
    priority: str = ""
    outcome: str = ""
    reason: str = ""
    errcode: str = ""
    latency_le_ms: int = 0


def bucket_start(at: datetime, grain: str) -> datetime:
    """The start of the minute, hour or UTC day containing ``at``."""
    if grain == "minute":
        return at.replace(second=0, microsecond=0)
    if grain == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def latency_bucket(ms: float) -> int:
    """The upper bound of the latency bucket holding ``ms``."""
    index = min(bisect_left(LATENCY_BOUNDS_MS, ms), len(LATENCY_BOUNDS_MS) - 1)
    return LATENCY_BOUNDS_MS[index]


def rollup(events: list[StoredEvent], grain: str) -> Counter[RollupKey]:
    """Counts per rollup row of ``grain`` over ``events``."""
    counts: Counter[RollupKey] = Counter()
    for event in events:
        counts[_key(event, bucket_start(event.occurred_at, grain))] += 1
    return counts


def _key(event: StoredEvent, bucket: datetime) -> RollupKey:
    payload = event.payload
    if event.event == "inbound.handled":
        return RollupKey(
            bucket,
            event.event,
            event.account,
            kind=_text(payload.get("kind"), 32),
            outcome=_text(payload.get("outcome"), 32),
        )
    if event.event.startswith("delivery."):
        status = _text(payload.get("status"), 32)
        errcode = payload.get("errcode")
        return RollupKey(
            bucket,
            event.event,
            event.account,
            channel=_text(payload.get("channel"), 32),
            priority=_text(payload.get("priority"), 16),
            outcome=status,
            reason=_text(payload.get("reason"), 64),
            errcode="" if errcode is None else _text(errcode, 16),
            latency_le_ms=_latency(event, status),
        )
    return RollupKey(bucket, event.event, event.account)


def _latency(event: StoredEvent, status: str) -> int:
    accepted = event.payload.get("accepted_at")
    if status not in OUTCOMES or not isinstance(accepted, str):
        return 0
    try:
        accepted_at = datetime.fromisoformat(accepted)
    except ValueError:
        return 0
    if accepted_at.tzinfo is None:
        return 0
    return latency_bucket(max(0.0, (event.occurred_at - accepted_at).total_seconds() * 1000))


def _text(value: object, limit: int) -> str:
    return "" if value is None else str(value)[:limit]
