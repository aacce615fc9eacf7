"""The ledger in Redis, shared by every gateway replica."""

from __future__ import annotations

from libs.common.callback_ledger.base import (
    DEFAULT_TTL_S,
    CallbackLedger,
    LedgerEntry,
    LedgerState,
)
from libs.common.redis_pipeline import PipelinedRedis, RedisError, Script

# KEYS[1] = entry key; ARGV[1] = required current state byte; ARGV[2] = new value; ARGV[3] = ttl.
# Returns the previous raw value (or false), writing only when the state byte matched.
_CAS = Script("""
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return current
""")

_RELEASE = Script("""
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) == 'P' then
  redis.call('DEL', KEYS[1])
end
return current
""")


class RedisCallbackLedger(CallbackLedger):
    """Ledger in Redis (``SET NX GET EX`` + a compare-and-set script), shared by every replica.

    Needs Redis 7.0 or newer (``SET`` with both ``NX`` and ``GET``). Commands go over one
    pipelined connection (:class:`PipelinedRedis`): this is on every callback's path.
    """

    def __init__(self, url: str, *, ttl_s: int = DEFAULT_TTL_S, prefix: str = "wxhub:cb:") -> None:
        self._redis = PipelinedRedis(url)
        self._ttl_s = ttl_s
        self._prefix = prefix

    async def claim(self, key: str) -> LedgerEntry | None:
        # One atomic command: creates the entry, or leaves it and returns it.
        raw = await self._redis.execute(
            "SET", self._prefix + key, LedgerState.PENDING.value, "NX", "GET", "EX", self._ttl_s
        )
        return None if raw is None else LedgerEntry.decode(raw)

    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        raw = await self._redis.evalsha(
            _CAS, (self._prefix + key,), from_state.value, new.encode(), self._ttl_s
        )
        return None if raw is None else LedgerEntry.decode(raw)

    async def get(self, key: str) -> LedgerEntry | None:
        raw = await self._redis.execute("GET", self._prefix + key)
        return None if raw is None else LedgerEntry.decode(raw)

    async def release(self, key: str) -> None:
        await self._redis.evalsha(_RELEASE, (self._prefix + key,))

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.execute("PING") == b"PONG")
        except RedisError:
            return False

    async def close(self) -> None:
        await self._redis.close()

    async def flush_prefix(self) -> None:
        """Delete every entry under this ledger's prefix (tests)."""
        cursor = b"0"
        while True:
            cursor, keys = await self._redis.execute(
                "SCAN", cursor, "MATCH", self._prefix + "*", "COUNT", 1000
            )
            if keys:
                await self._redis.execute("DEL", *keys)
            if cursor == b"0":
                return
