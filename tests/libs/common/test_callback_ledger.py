"""The callback ledger's state machine, on the in-process store and on real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from libs.common.callback_ledger import (
    CallbackLedger,
    FallbackCallbackLedger,
    LedgerState,
    MemoryCallbackLedger,
    RedisCallbackLedger,
)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-with-fallback", marks=pytest.mark.redis),
    ]
)
async def ledger(request: pytest.FixtureRequest) -> AsyncIterator[CallbackLedger]:
    if request.param == "memory":
        yield MemoryCallbackLedger()
        return
    url = request.getfixturevalue("redis_url")
    store = RedisCallbackLedger(url, prefix=f"test:{uuid.uuid4().hex}:")
    if request.param == "redis-with-fallback":
        fallback = FallbackCallbackLedger(store)
        yield fallback
        assert not fallback.degraded
    else:
        yield store
    await store.flush_prefix()
    await store.close()


async def test_first_claim_wins_and_later_claims_see_the_entry(ledger: CallbackLedger) -> None:
    assert await ledger.claim("k") is None
    entry = await ledger.claim("k")
    assert entry is not None
    assert entry.state is LedgerState.PENDING


async def test_resolve_then_retry_sees_the_reply(ledger: CallbackLedger) -> None:
    await ledger.claim("k")
    before = await ledger.resolve("k", b'{"type":"text"}')
    assert before is not None
    assert before.state is LedgerState.PENDING
    entry = await ledger.claim("k")
    assert entry is not None
    assert entry.state is LedgerState.REPLIED
    assert entry.reply == b'{"type":"text"}'


async def test_expire_and_resolve_race_has_exactly_one_winner(ledger: CallbackLedger) -> None:
    await ledger.claim("a")
    expired_first = await ledger.expire("a")
    late = await ledger.resolve("a", b"late")
    assert expired_first is not None
    assert expired_first.state is LedgerState.PENDING
    assert late is not None
    assert late.state is LedgerState.EXPIRED  # the engine must forward, not reply
    await ledger.forward("a")
    entry = await ledger.get("a")
    assert entry is not None
    assert entry.state is LedgerState.FORWARDED

    await ledger.claim("b")
    await ledger.resolve("b", b"in time")
    too_late = await ledger.expire("b")
    assert too_late is not None
    assert too_late.state is LedgerState.REPLIED  # the gateway uses the reply
    assert too_late.reply == b"in time"


async def test_concurrent_claims_yield_one_owner(ledger: CallbackLedger) -> None:
    results = await asyncio.gather(*(ledger.claim("same") for _ in range(20)))
    assert sum(r is None for r in results) == 1


async def test_release_forgets_only_pending_entries(ledger: CallbackLedger) -> None:
    await ledger.claim("p")
    await ledger.release("p")
    assert await ledger.get("p") is None
    await ledger.claim("r")
    await ledger.resolve("r", b"x")
    await ledger.release("r")
    entry = await ledger.get("r")
    assert entry is not None
    assert entry.state is LedgerState.REPLIED


async def test_wait_settled_returns_when_the_reply_lands(ledger: CallbackLedger) -> None:
    await ledger.claim("w")

    async def answer_later() -> None:
        await asyncio.sleep(0.1)
        await ledger.resolve("w", b"done")

    task = asyncio.create_task(answer_later())
    entry = await ledger.wait_settled("w", timeout=2.0, poll_s=0.01)
    await task
    assert entry.state is LedgerState.REPLIED
    assert entry.reply == b"done"
    await ledger.claim("never")
    pending = await ledger.wait_settled("never", timeout=0.05, poll_s=0.01)
    assert pending.state is LedgerState.PENDING


async def test_memory_entries_expire_after_their_ttl() -> None:
    ledger = MemoryCallbackLedger(ttl_s=0.05)
    await ledger.claim("t")
    await asyncio.sleep(0.08)
    assert await ledger.claim("t") is None
