"""Rate limits shared by dispatcher replicas through Redis (GCRA), and the local fallback."""

from __future__ import annotations

import asyncio
import socket

from libs.common.redis_pipeline import PipelinedRedis
from services.dispatcher.metrics import RATE_LIMIT_DEGRADED, RATE_LIMIT_FALLBACKS
from services.dispatcher.rate_limit import SharedRateLimiter
from tests.services.dispatcher.support import Sandboxes, start_harness, stop_harness
from tests.support import RedisFront

TEMPLATE = "/cgi-bin/message/template/send"


async def clear_limits(redis_url: str) -> None:
    """Forget the demo account's shared limits (a previous run's pace must not carry over)."""
    redis = PipelinedRedis(redis_url)
    try:
        _, keys = await redis.execute("SCAN", 0, "MATCH", "wxhub:rl:{demo}:*", "COUNT", 1000)
        if keys:
            await redis.execute("DEL", *keys)
    finally:
        await redis.close()


async def test_three_dispatchers_send_no_faster_than_the_rate_in_total(
    db_url: str, boxes: Sandboxes, redis_url: str
) -> None:
    rate, burst_s, per_replica = 20.0, 0.1, 20
    await clear_limits(redis_url)
    replicas = [
        await start_harness(
            db_url,
            boxes,
            redis_url=redis_url,
            channel_plan=["wechat_template"],
            api_rates_per_s={"wechat_template": rate},
            rate_burst_s=burst_s,
            default_deadline_s=120.0,
        )
        for _ in range(3)
    ]
    try:
        ids = [
            await replica.notify(deadline_s=120.0)
            for replica in replicas
            for _ in range(per_replica)
        ]
        rows = await replicas[0].wait_terminal(ids, timeout=60.0)
    finally:
        for replica in replicas:
            await stop_harness(replica)
    assert {row.status for row in rows.values()} == {"delivered"}
    sent = sorted(call.at for call in boxes.wx.calls.find(TEMPLATE))
    assert len(sent) == len(ids)
    # GCRA lets the burst (rate × burst_s, at least one) through at once, then one send every
    # 1/rate. Each replica alone would allow the whole rate: 3× faster, about 1 s here.
    burst = max(1.0, rate * burst_s)
    shortest = (len(sent) - burst) / rate
    assert sent[-1] - sent[0] >= 0.8 * shortest, (sent[-1] - sent[0], shortest)
    # No second anywhere in the run holds much more than a second's worth plus the burst (each
    # replica limiting alone would put 3x the rate in it). The sandbox stamps arrivals, and sends
    # permitted on time arrive bunched when the shared event loop stalls on a busy machine.
    for i, at in enumerate(sent):
        in_a_second = sum(1 for other in sent[i:] if other - at < 1.0)
        assert in_a_second <= rate * 1.5 + burst, (at, in_a_second)


def refused_url() -> str:
    """A Redis URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def test_unreachable_redis_paces_each_replica_at_its_share() -> None:
    rate, replicas = 60.0, 3
    limiter = SharedRateLimiter(
        PipelinedRedis(refused_url(), connect_timeout_s=0.2),
        account_rate=0,
        api_rates={"sms": rate},
        burst_s=0.1,
        replicas=replicas,
    )
    before = RATE_LIMIT_FALLBACKS.labels("sms")._value.get()
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        for _ in range(14):  # the burst of 2, then 12 at 60 / 3 = 20/s: 0.6 s (at 60/s: 0.2 s)
            await limiter.acquire("demo", "sms")
    finally:
        await limiter.close()
    elapsed = loop.time() - started
    assert limiter.degraded
    assert RATE_LIMIT_DEGRADED._value.get() == 1
    assert RATE_LIMIT_FALLBACKS.labels("sms")._value.get() - before >= 14
    assert 0.45 <= elapsed < 5.0, elapsed


async def test_redis_answering_again_ends_the_degradation(redis_url: str) -> None:
    front = RedisFront(redis_url)
    await front.start()
    limiter = SharedRateLimiter(
        PipelinedRedis(front.url, connect_timeout_s=0.2),
        account_rate=0,
        api_rates={"sms": 1000.0},
        retry_after_s=0.0,
    )
    try:
        await limiter.acquire("demo", "sms")  # the front hangs up: paced locally
        assert limiter.degraded
        assert RATE_LIMIT_DEGRADED._value.get() == 1
        front.mode = "forward"
        await limiter.acquire("demo", "sms")
        assert not limiter.degraded
        assert RATE_LIMIT_DEGRADED._value.get() == 0
    finally:
        await limiter.close()
        await front.stop()


async def test_unlimited_apis_never_ask_redis() -> None:
    limiter = SharedRateLimiter(
        PipelinedRedis(refused_url(), connect_timeout_s=0.2),
        account_rate=0,
        api_rates={"sms": 0.0},
    )
    await limiter.acquire("demo", "sms")
    await limiter.close()
    assert not limiter.degraded
