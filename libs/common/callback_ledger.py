"""The callback ledger: which WeChat callbacks were seen, and what they were answered with.

WeChat re-sends a callback it got no answer to (up to 3 deliveries, ~5 s apart), possibly to
another gateway replica. Every callback's dedup key (docs/wechat-protocol.md §7.4) gets one ledger
entry in a store shared by all replicas, which moves through::

    PENDING ──resolve()──▶ REPLIED(reply)         engine answered in time: passive reply
       │
       └──expire()──▶ EXPIRED ──forward()──▶ FORWARDED   gateway gave up; the engine's late answer
                                                        goes out as a customer-service message

Both transitions out of PENDING are compare-and-set, so the gateway's deadline and the engine's
answer can race and exactly one of them wins: the user gets the answer once, passively or not.
A retry reads the entry: REPLIED → the stored reply again; PENDING → wait; otherwise ``success``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from libs.common.observability.metrics import LEDGER_DEGRADED, LEDGER_FALLBACKS
from libs.common.redis_pipeline import PipelinedRedis, RedisError, Script
from libs.common.ttl_cache import TtlCache

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TTL_S = 300


class LedgerState(enum.Enum):
    """Where a callback stands."""

    PENDING = "P"
    REPLIED = "R"
    EXPIRED = "E"
    FORWARDED = "F"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger entry; ``reply`` is the engine's answer as JSON bytes (empty: nothing to say)."""

    state: LedgerState
    reply: bytes = b""

    def encode(self) -> bytes:
        """Storage form: one state byte, then the reply."""
        return self.state.value.encode() + self.reply

    @classmethod
    def decode(cls, raw: bytes) -> LedgerEntry:
        """Inverse of :meth:`encode`."""
        return cls(LedgerState(raw[:1].decode()), raw[1:])


class CallbackLedger(ABC):
    """Shared store of callback outcomes; every method is atomic across replicas."""

    @abstractmethod
    async def claim(self, key: str) -> LedgerEntry | None:
        """Create a PENDING entry; ``None`` if this call created it, else the existing entry."""

    @abstractmethod
    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        """Write ``new`` only if the entry is in ``from_state``; return the entry as it was."""

    async def resolve(self, key: str, reply: bytes) -> LedgerEntry | None:
        """PENDING → REPLIED(reply). Returns the entry as it was before (``None``: no entry)."""
        return await self._transition(
            key, LedgerEntry(LedgerState.REPLIED, reply), LedgerState.PENDING
        )

    async def expire(self, key: str) -> LedgerEntry | None:
        """PENDING → EXPIRED. Returns the entry as it was before (REPLIED means: use the reply)."""
        return await self._transition(key, LedgerEntry(LedgerState.EXPIRED), LedgerState.PENDING)

    async def forward(self, key: str) -> None:
        """EXPIRED → FORWARDED, once the late answer is safely on ``wx.outbound``."""
        await self._transition(key, LedgerEntry(LedgerState.FORWARDED), LedgerState.EXPIRED)

    @abstractmethod
    async def get(self, key: str) -> LedgerEntry | None:
        """The current entry, if any."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Forget a PENDING entry whose message never reached the bus, so a retry can try again."""

    async def ping(self) -> bool:
        """Whether the store answers (readiness)."""
        return True

    async def close(self) -> None:  # noqa: B027 - optional hook, most ledgers hold nothing
        """Release connections."""

    async def wait_settled(self, key: str, *, timeout: float, poll_s: float = 0.05) -> LedgerEntry:
        """Wait (up to ``timeout``) until a retried in-flight callback leaves PENDING."""
        deadline = time.monotonic() + timeout
        entry = await self.get(key)
        while entry is not None and entry.state is LedgerState.PENDING:
            if time.monotonic() >= deadline:
                return entry
            await asyncio.sleep(poll_s)
            entry = await self.get(key)
        return entry or LedgerEntry(LedgerState.EXPIRED)


class MemoryCallbackLedger(CallbackLedger):
    """In-process ledger for the embedded default and unit tests (one gateway replica only)."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S) -> None:
        self._entries: TtlCache[str, LedgerEntry] = TtlCache(ttl_s, max_entries=100_000)

    def _live(self, key: str) -> LedgerEntry | None:
        return self._entries.get(key)

    def _put(self, key: str, entry: LedgerEntry) -> None:
        self._entries.put(key, entry)

    async def claim(self, key: str) -> LedgerEntry | None:
        entry = self._live(key)
        if entry is None:
            self._put(key, LedgerEntry(LedgerState.PENDING))
        return entry

    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        entry = self._live(key)
        if entry is not None and entry.state is from_state:
            self._put(key, new)
        return entry

    async def get(self, key: str) -> LedgerEntry | None:
        return self._live(key)

    async def release(self, key: str) -> None:
        entry = self._live(key)
        if entry is not None and entry.state is LedgerState.PENDING:
            self._entries.discard(key)


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


class FallbackCallbackLedger(CallbackLedger):
    """The shared ledger, or an in-process one while the shared one cannot be reached.

    Without it, Redis being down would fail every callback and turn every gateway unready at
    once. Degraded, a replica still answers and deduplicates the retries it receives itself; a
    retry landing on another replica is handled again (the engine's answer still goes out once
    per delivery it gets). ``wxhub_callback_ledger_degraded`` is 1 meanwhile (alert
    ``WxhubCallbackLedgerDegraded``). After a failure the shared ledger is skipped for
    ``retry_after_s`` (no callback waits on a dead connection), then tried again. A shared call
    slower than ``shared_timeout_s`` counts as a failure: WeChat gives up after 5 s.
    Entries begun in process stay there until they expire, so their retries still match.
    """

    def __init__(
        self,
        shared: CallbackLedger,
        *,
        retry_after_s: float = 5.0,
        shared_timeout_s: float = 1.0,
        ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self._shared = shared
        self._local = MemoryCallbackLedger(ttl_s)
        self._retry_after_s = retry_after_s
        self._shared_timeout_s = shared_timeout_s
        self._skip_shared_until = 0.0
        self._degraded = False

    @property
    def degraded(self) -> bool:
        """Whether the last attempt to use the shared ledger failed."""
        return self._degraded

    async def _use(
        self,
        operation: str,
        key: str,
        shared: Callable[[CallbackLedger], Awaitable[T]],
    ) -> T:
        if await self._local.get(key) is None and time.monotonic() >= self._skip_shared_until:
            try:
                async with asyncio.timeout(self._shared_timeout_s):
                    result = await shared(self._shared)
            except (RedisError, TimeoutError) as exc:
                self._skip_shared_until = time.monotonic() + self._retry_after_s
                if not self._degraded:
                    log.warning("callback ledger degraded to in-process: %s", exc)
                self._set_degraded(True)
            else:
                if self._degraded:
                    log.warning("callback ledger shared again")
                self._set_degraded(False)
                return result
        LEDGER_FALLBACKS.labels(operation).inc()
        return await shared(self._local)

    def _set_degraded(self, degraded: bool) -> None:
        self._degraded = degraded
        LEDGER_DEGRADED.set(1 if degraded else 0)

    async def claim(self, key: str) -> LedgerEntry | None:
        return await self._use("claim", key, lambda ledger: ledger.claim(key))

    async def _transition(
        self, key: str, new: LedgerEntry, from_state: LedgerState
    ) -> LedgerEntry | None:
        # resolve/expire/forward are routed below with their own metric labels.
        return await self._use(
            "transition", key, lambda ledger: ledger._transition(key, new, from_state)
        )

    async def resolve(self, key: str, reply: bytes) -> LedgerEntry | None:
        return await self._use("resolve", key, lambda ledger: ledger.resolve(key, reply))

    async def expire(self, key: str) -> LedgerEntry | None:
        return await self._use("expire", key, lambda ledger: ledger.expire(key))

    async def forward(self, key: str) -> None:
        await self._use("forward", key, lambda ledger: ledger.forward(key))

    async def get(self, key: str) -> LedgerEntry | None:
        return await self._use("get", key, lambda ledger: ledger.get(key))

    async def release(self, key: str) -> None:
        await self._use("release", key, lambda ledger: ledger.release(key))

    async def ping(self) -> bool:
        """Always answers: degraded, the in-process ledger serves (readiness stays green)."""
        return True

    async def close(self) -> None:
        await self._shared.close()


def make_callback_ledger(redis_url: str | None, *, prefix: str = "wxhub:cb:") -> CallbackLedger:
    """Redis ledger (falling back to in process while unreachable), else the in-process one."""
    if redis_url:
        return FallbackCallbackLedger(RedisCallbackLedger(redis_url, prefix=prefix))
    return MemoryCallbackLedger()
