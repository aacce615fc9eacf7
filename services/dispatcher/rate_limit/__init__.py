"""Rate control (R-OUT-4): per account and per (account, API), alerts first.

One dispatcher alone paces itself with token buckets (:mod:`.local`). Several replicas share one
limit through Redis (:mod:`.shared`), so the configured rates hold for the whole cluster, not
per replica; while Redis is unreachable each replica falls back to its share of the rate.
"""

from __future__ import annotations

from services.dispatcher.rate_limit.local import (
    BEIJING,
    Clock,
    RateLimiter,
    TokenBucket,
    seconds_until_daily_reset,
)
from services.dispatcher.rate_limit.shared import SharedRateLimiter

__all__ = [
    "BEIJING",
    "Clock",
    "RateLimiter",
    "SharedRateLimiter",
    "TokenBucket",
    "seconds_until_daily_reset",
]
