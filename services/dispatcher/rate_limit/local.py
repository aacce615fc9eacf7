"""Rate control in one process (R-OUT-4): token buckets per account and per (account, API).

``acquire(account, api, priority)`` waits until both buckets grant a token. While an alert is
waiting for a bucket, bulk callers stand back, so a bulk flood cannot take the tokens alerts
need (R-OUT-3). ``pause()`` stops an API of an account until a given time (45011: until the
next minute; 45009: until the quota resets at midnight Beijing time, see
:func:`seconds_until_daily_reset`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

Clock = Callable[[], float]

# WeChat's daily quotas (45009) reset at midnight China Standard Time, which has no DST.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def seconds_until_daily_reset(now: datetime | None = None) -> float:
    """Seconds from ``now`` (default: the current time) to the next midnight in Beijing."""
    local = (now or datetime.now(UTC)).astimezone(BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


@dataclass(slots=True)
class TokenBucket:
    """A classic token bucket: ``rate`` tokens per second, at most ``capacity`` stored."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0
    paused_until: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if now < self.paused_until:
            return self.paused_until - now
        if self.rate <= 0:
            return 0.0
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token (call right after ``wait_time`` returned 0)."""
        if self.rate > 0:
            self.tokens -= 1


class RateLimiter:
    """Buckets per account and per (account, API); rate 0 means unlimited."""

    def __init__(
        self,
        *,
        account_rate: float,
        api_rates: Mapping[str, float],
        burst_s: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._account_rate = account_rate
        self._api_rates = dict(api_rates)
        self._burst_s = burst_s
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._alerts_waiting = 0
        self._alerts_done = asyncio.Event()
        self._alerts_done.set()

    def _bucket(self, account: str, api: str) -> TokenBucket:
        key = (account, api)
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self._account_rate if api == "*" else self._api_rates.get(api, 0.0)
            bucket = TokenBucket(rate, max(1.0, rate * self._burst_s), updated=self._clock())
            self._buckets[key] = bucket
        return bucket

    def pause(self, account: str, api: str, seconds: float) -> None:
        """Grant no token for ``api`` of ``account`` during the next ``seconds``."""
        bucket = self._bucket(account, api)
        bucket.paused_until = max(bucket.paused_until, self._clock() + seconds)

    def paused_for(self, account: str, api: str) -> float:
        """Seconds left in a pause of ``api`` for ``account`` (0 when not paused)."""
        return max(0.0, self._bucket(account, api).paused_until - self._clock())

    async def acquire(self, account: str, api: str, *, priority: str = "alert") -> None:
        """Wait for a token of both the account's and the API's bucket."""
        alert = priority == "alert"
        if alert:
            self._alerts_waiting += 1
            self._alerts_done.clear()
        try:
            while True:
                if not alert and self._alerts_waiting:
                    await self._alerts_done.wait()
                    continue
                wait = await self._take(account, api)
                if wait <= 0:
                    return
                await asyncio.sleep(wait)
        finally:
            if alert:
                self._alerts_waiting -= 1
                if not self._alerts_waiting:
                    self._alerts_done.set()

    async def _take(self, account: str, api: str) -> float:
        """Take a token of both buckets and return 0, or return how long to wait (taking none)."""
        return self.take_now(account, api)

    def take_now(self, account: str, api: str) -> float:
        """:meth:`_take` of the local buckets, without waiting for anything."""
        buckets = (self._bucket(account, "*"), self._bucket(account, api))
        now = self._clock()
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait <= 0:
            for bucket in buckets:
                bucket.take()
        return wait

    async def close(self) -> None:
        """Release what the limiter holds (local buckets hold no connection)."""
