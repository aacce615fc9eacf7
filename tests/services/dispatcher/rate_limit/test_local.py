"""Rate control (R-OUT-4): token buckets, pauses, alerts first, and the 45009 daily reset."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.dispatcher.rate_limit import RateLimiter, TokenBucket, seconds_until_daily_reset
from services.dispatcher.settings import DEFAULT_API_RATES, DispatcherSettings


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_grants_its_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=10.0, capacity=3.0, updated=0.0)
    for _ in range(3):
        assert bucket.wait_time(0.0) == 0.0
        bucket.take()
    assert bucket.wait_time(0.0) == 0.1  # one token every 1/10 s
    assert bucket.wait_time(0.05) == 0.05
    assert bucket.wait_time(0.1) == 0.0


def test_pause_blocks_one_api_of_one_account_only() -> None:
    clock = FakeClock()
    limiter = RateLimiter(account_rate=0, api_rates={"wechat_template": 0}, clock=clock)
    limiter.pause("demo", "wechat_template", 30.0)
    assert limiter.paused_for("demo", "wechat_template") == 30.0
    assert limiter.paused_for("demo", "wechat_custom") == 0.0
    assert limiter.paused_for("other", "wechat_template") == 0.0
    clock.now += 31
    assert limiter.paused_for("demo", "wechat_template") == 0.0
    # A shorter pause never shortens a longer one (45011 during a 45009 pause).
    limiter.pause("demo", "wechat_template", 100.0)
    limiter.pause("demo", "wechat_template", 5.0)
    assert limiter.paused_for("demo", "wechat_template") == 100.0


async def test_acquire_paces_to_the_api_rate() -> None:
    limiter = RateLimiter(account_rate=0, api_rates={"sms": 50.0}, burst_s=0.1)
    started = asyncio.get_running_loop().time()
    for _ in range(15):  # 5 from the burst, then 10 at 50/s ≈ 0.2 s
        await limiter.acquire("demo", "sms")
    elapsed = asyncio.get_running_loop().time() - started
    assert 0.15 <= elapsed < 1.0, elapsed


async def test_waiting_alerts_go_before_bulk() -> None:
    limiter = RateLimiter(account_rate=0, api_rates={"wechat_template": 20.0}, burst_s=0.05)
    await limiter.acquire("demo", "wechat_template")  # the only burst token is gone
    order: list[str] = []

    async def take(priority: str) -> None:
        await limiter.acquire("demo", "wechat_template", priority=priority)
        order.append(priority)

    bulk = [asyncio.create_task(take("bulk")) for _ in range(3)]
    await asyncio.sleep(0)  # the bulk callers wait first
    alerts = [asyncio.create_task(take("alert")) for _ in range(3)]
    await asyncio.gather(*bulk, *alerts)
    assert order[:3] == ["alert"] * 3, order


def test_defaults_do_not_throttle_a_thousand_template_sends_per_second() -> None:
    settings = DispatcherSettings(amqp_url=None)
    assert DEFAULT_API_RATES["wechat_template"] >= 1000
    assert settings.api_rates_per_s["wechat_template"] >= 1000
    # The account bucket covers the APIs it is shared by at full rate.
    assert settings.account_rate_per_s >= DEFAULT_API_RATES["wechat_template"] + 1000


def test_daily_reset_is_beijing_midnight() -> None:
    # 15:00 UTC is 23:00 in Beijing: one hour left.
    assert seconds_until_daily_reset(datetime(2026, 11, 26, 15, 0, tzinfo=UTC)) == 3600
    # 16:00 UTC is midnight in Beijing: a whole day until the next reset.
    assert seconds_until_daily_reset(datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == 86400
    # 02:30 UTC is 10:30 in Beijing: 13.5 hours left, not a fixed hour.
    assert seconds_until_daily_reset(datetime(2026, 11, 26, 2, 30, tzinfo=UTC)) == 13.5 * 3600
