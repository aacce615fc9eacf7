"""The config cache of the notification API: reloads, shared reloads, stale snapshots."""

from __future__ import annotations

import asyncio

import pytest

from libs.common.db import make_engine, make_sessionmaker
from libs.common.secret_box import SecretBox
from services.gateway.notifications.config import ConfigCache, ConfigSnapshot, placeholders
from tests.services.gateway.api.support import SECRET_KEY
from tests.services.gateway.notifications.support import FakeClock
from wxhub.demo.outbound import DEMO_SYSTEM


async def test_config_cache_reloads_after_ttl_and_shares_one_reload(db_url: str) -> None:
    engine = make_engine(db_url)
    clock = FakeClock()
    cache = ConfigCache(make_sessionmaker(engine), SecretBox(SECRET_KEY), ttl_s=5, clock=clock)
    loads = 0
    original = cache._load

    async def counting() -> ConfigSnapshot:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return await original()

    cache._load = counting  # type: ignore[method-assign]
    try:
        first, *_ = await asyncio.gather(*(cache.get() for _ in range(10)))
        assert loads == 1
        assert first.systems[DEMO_SYSTEM.code].secret == DEMO_SYSTEM.secret.encode()
        reminder = first.reminders[first.accounts["demo"].id, "balance_change"]
        assert reminder.wechat_fields == {"account_tail", "time", "amount", "balance"}
        clock.now += 4.9
        await cache.get()
        assert loads == 1
        clock.now += 0.2
        await cache.get()
        assert loads == 2
    finally:
        await engine.dispose()


async def test_config_cache_keeps_the_last_snapshot_when_the_database_fails(db_url: str) -> None:
    engine = make_engine(db_url)
    clock = FakeClock()
    cache = ConfigCache(make_sessionmaker(engine), SecretBox(SECRET_KEY), ttl_s=1, clock=clock)
    try:
        good = await cache.get()

        async def failing() -> ConfigSnapshot:
            raise OSError("database down")

        cache._load = failing  # type: ignore[method-assign]
        clock.now += 2
        assert await cache.get() is good
        cache.invalidate()
        with pytest.raises(OSError, match="database down"):
            await cache.get()
    finally:
        await engine.dispose()


def test_placeholders_finds_named_fields_only() -> None:
    assert placeholders(["{a}元 {b.c} {d[0]} {} {0} {{literal}}", "{e:>5}", "{broken"]) == {
        "a",
        "b",
        "d",
        "e",
    }
