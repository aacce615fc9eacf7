"""Redis unreachable: the ledger falls back to in process, callbacks keep being deduplicated by
the replica that sees them, the degradation is visible, and the shared ledger is used again once
Redis answers. Unreachability is a loopback server that hangs up, or one that never answers —
the real Redis stays up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from libs.common.callback_ledger import FallbackCallbackLedger, LedgerState, RedisCallbackLedger
from libs.common.observability.metrics import LEDGER_DEGRADED, LEDGER_FALLBACKS
from tests.support import RedisFront


@pytest.fixture
async def front(redis_url: str) -> AsyncIterator[RedisFront]:
    server = RedisFront(redis_url)
    await server.start()
    yield server
    await server.stop()


def fallbacks(operation: str) -> float:
    return float(LEDGER_FALLBACKS.labels(operation)._value.get())


@pytest.mark.redis
@pytest.mark.parametrize("mode", ["hangup", "silent"])
async def test_unreachable_redis_degrades_to_in_process_dedup(front: RedisFront, mode: str) -> None:
    front.mode = mode
    ledger = FallbackCallbackLedger(
        RedisCallbackLedger(front.url, prefix=f"test:{uuid.uuid4().hex}:"), shared_timeout_s=0.3
    )
    claims_before = fallbacks("claim")
    try:
        async with asyncio.timeout(2):  # never the client's 5 s connect/command timeouts
            assert await ledger.claim("k1") is None
            retry = await ledger.claim("k1")
        assert retry is not None
        assert retry.state is LedgerState.PENDING
        assert ledger.degraded
        assert LEDGER_DEGRADED._value.get() == 1
        assert fallbacks("claim") == claims_before + 2
        assert await ledger.ping()

        previous = await ledger.resolve("k1", b'{"text":"hi"}')
        assert previous is not None
        assert previous.state is LedgerState.PENDING
        replied = await ledger.get("k1")
        assert replied is not None
        assert (replied.state, replied.reply) == (LedgerState.REPLIED, b'{"text":"hi"}')
    finally:
        await ledger.close()


@pytest.mark.redis
async def test_the_shared_ledger_is_used_again_once_redis_answers(
    front: RedisFront, redis_url: str
) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    ledger = FallbackCallbackLedger(
        RedisCallbackLedger(front.url, prefix=prefix), retry_after_s=0.2, shared_timeout_s=0.5
    )
    direct = RedisCallbackLedger(redis_url, prefix=prefix)
    try:
        assert await ledger.claim("during-outage") is None
        assert ledger.degraded

        front.mode = "forward"
        # Within retry_after_s the shared ledger is not even tried.
        assert await ledger.claim("too-soon") is None
        assert await direct.get("too-soon") is None
        await asyncio.sleep(0.25)

        assert await ledger.claim("after-outage") is None
        assert not ledger.degraded
        assert LEDGER_DEGRADED._value.get() == 0
        shared = await direct.get("after-outage")
        assert shared is not None
        assert shared.state is LedgerState.PENDING
        # An entry begun during the outage stays in process, so its retry still matches it.
        retry = await ledger.claim("during-outage")
        assert retry is not None
        assert retry.state is LedgerState.PENDING
        assert await direct.get("during-outage") is None
    finally:
        await direct.flush_prefix()
        await direct.close()
        await ledger.close()
