"""The shared TTL cache: expiry, one load for concurrent misses, stale values on failure."""

from __future__ import annotations

import asyncio

import pytest

from libs.common.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_ttl_and_none_is_a_value() -> None:
    clock = Clock()
    cache: TtlCache[str, int | None] = TtlCache(5, clock=clock)
    cache.put("a", None)
    cache.put("b", 2)
    assert cache.get("a", -1) is None
    assert cache.get("b") == 2
    clock.now += 5
    assert cache.get("b", -1) == -1


async def test_concurrent_misses_share_one_load_and_fresh_hits_load_nothing() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(5, clock=clock)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return loads

    assert await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(5))) == [1] * 5
    assert await cache.get_or_load("k", load) == 1
    clock.now += 6
    assert await cache.get_or_load("k", load) == 2
    assert loads == 2


async def test_a_failed_load_raises_or_serves_the_expired_value() -> None:
    clock = Clock()

    async def broken() -> int:
        raise ConnectionError("database gone")

    strict: TtlCache[str, int] = TtlCache(1, clock=clock)
    strict.put("k", 1)
    lenient: TtlCache[str, int] = TtlCache(1, clock=clock, stale_on_error=True)
    lenient.put("k", 1)
    clock.now += 2
    with pytest.raises(ConnectionError):
        await strict.get_or_load("k", broken)
    assert await lenient.get_or_load("k", broken) == 1
    with pytest.raises(ConnectionError):
        await lenient.get_or_load("never-loaded", broken)


def test_max_entries_sweeps_expired_entries() -> None:
    clock = Clock()
    cache: TtlCache[int, int] = TtlCache(1, clock=clock, max_entries=3)
    for key in range(3):
        cache.put(key, key)
    clock.now += 2
    cache.put(9, 9)
    assert len(cache) == 1
