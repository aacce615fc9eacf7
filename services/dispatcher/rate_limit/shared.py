"""Rate control shared by every dispatcher replica: GCRA in Redis, one script per token.

The generic cell rate algorithm keeps one number per limit, the theoretical arrival time (TAT)
of the next send. A send at ``now`` is allowed when ``max(TAT, now) + interval - burst <= now``
and then moves the TAT on by ``interval`` (``1 / rate``); ``burst`` is the capacity of the
equivalent token bucket (``rate * burst_s``, at least one send) times ``interval``. One Lua
script checks the account's limit and the API's limit together and moves both or neither, on
Redis's clock (``TIME``), so replicas with skewed clocks still share one pace. Keys carry the
account in a hash tag (``…{account}:api``): both keys of a call live in one Redis Cluster slot.

Failure modes: Redis unreachable, or slower than ``timeout_s``, makes this replica pace itself
with local token buckets at ``rate / replicas`` (``WXHUB_RATE_LIMIT_REPLICAS``) — the cluster as
a whole then stays near the limit as long as that setting matches the replica count. Meanwhile
``wxhub_dispatcher_rate_limit_degraded`` is 1 (alert ``WxhubRateLimitDegraded``) and Redis is
tried again after ``retry_after_s``. Pauses (45009, 45011) stay per replica: every replica sees
WeChat's answer itself. Alerts go before bulk within a replica only; across replicas bulk and
alerts share the same limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from libs.common.redis_pipeline import PipelinedRedis, RedisError, Script
from services.dispatcher.metrics import RATE_LIMIT_DEGRADED, RATE_LIMIT_FALLBACKS
from services.dispatcher.rate_limit.local import Clock, RateLimiter

log = logging.getLogger(__name__)

# KEYS = one TAT key per limit; ARGV = (interval µs, burst µs) per key. Returns 0 when every
# limit allowed the send (all TATs moved), else the µs to wait before asking again (none moved).
_GCRA = Script("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local next_tat = tat + interval
  local allowed_at = next_tat - burst
  if allowed_at - now > wait then wait = allowed_at - now end
  tats[i] = next_tat
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  local ttl_ms = math.ceil((tats[i] - now) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', ttl_ms)
end
return 0
""")


class SharedRateLimiter(RateLimiter):
    """The limits of :class:`RateLimiter`, held across replicas by Redis (see the module)."""

    def __init__(
        self,
        redis: PipelinedRedis,
        *,
        account_rate: float,
        api_rates: Mapping[str, float],
        burst_s: float = 1.0,
        replicas: int = 1,
        prefix: str = "wxhub:rl:",
        timeout_s: float = 0.5,
        retry_after_s: float = 5.0,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(
            account_rate=account_rate, api_rates=api_rates, burst_s=burst_s, clock=clock
        )
        self._redis = redis
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._retry_after_s = retry_after_s
        self._skip_shared_until = 0.0
        self._degraded = False
        share = max(1, replicas)
        self._fallback = RateLimiter(
            account_rate=account_rate / share,
            api_rates={api: rate / share for api, rate in api_rates.items()},
            burst_s=burst_s,
            clock=clock,
        )
        self._args: dict[tuple[str, str], tuple[tuple[str, ...], tuple[int, ...]]] = {}

    @property
    def degraded(self) -> bool:
        """Whether the last attempt to reach Redis failed (pacing locally meanwhile)."""
        return self._degraded

    def _limits(self, account: str, api: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The script's keys and arguments for a send of ``api`` by ``account`` (rate 0: none)."""
        cached = self._args.get((account, api))
        if cached is None:
            keys: list[str] = []
            args: list[int] = []
            for name in ("*", api):
                rate = self._account_rate if name == "*" else self._api_rates.get(name, 0.0)
                if rate <= 0:
                    continue
                interval_us = 1_000_000 / rate
                keys.append(f"{self._prefix}{{{account}}}:{name}")
                args += [round(interval_us), round(max(1.0, rate * self._burst_s) * interval_us)]
            cached = self._args[account, api] = (tuple(keys), tuple(args))
        return cached

    async def _take(self, account: str, api: str) -> float:
        paused = max(self.paused_for(account, "*"), self.paused_for(account, api))
        if paused > 0:
            return paused
        keys, args = self._limits(account, api)
        if not keys:
            return 0.0
        if time.monotonic() >= self._skip_shared_until:
            try:
                async with asyncio.timeout(self._timeout_s):
                    wait_us = await self._redis.evalsha(_GCRA, keys, *args)
            except (RedisError, TimeoutError) as exc:
                self._skip_shared_until = time.monotonic() + self._retry_after_s
                if not self._degraded:
                    log.warning("rate limits degraded to this replica's share: %s", exc)
                self._set_degraded(True)
            else:
                if self._degraded:
                    log.warning("rate limits shared again")
                self._set_degraded(False)
                return int(wait_us) / 1_000_000
        RATE_LIMIT_FALLBACKS.labels(api).inc()
        return self._fallback.take_now(account, api)

    def _set_degraded(self, degraded: bool) -> None:
        self._degraded = degraded
        RATE_LIMIT_DEGRADED.set(1 if degraded else 0)

    async def close(self) -> None:
        """Close the Redis connection."""
        await self._redis.close()
