"""The shared ledger with an in-process stand-in while it cannot be reached; the factory."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from libs.common.callback_ledger.base import (
    DEFAULT_TTL_S,
    CallbackLedger,
    LedgerEntry,
    LedgerState,
)
from libs.common.callback_ledger.memory import MemoryCallbackLedger
from libs.common.callback_ledger.redis_ledger import RedisCallbackLedger
from libs.common.observability.metrics import LEDGER_DEGRADED, LEDGER_FALLBACKS
from libs.common.redis_pipeline import RedisError

log = logging.getLogger("libs.common.callback_ledger")
T = TypeVar("T")


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
