"""The stats service on the bus: every batch item is counted and stored, redeliveries are not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from libs.common.bus import DEAD, EVENTS, Delivery, MemoryBus, Message, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import ROLLUP_TABLES, ServiceHeartbeat, StatsEvent
from libs.common.resources import open_resources
from libs.common.schemas.events import HeartbeatSent
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from tests.polling import eventually
from tests.services.stats.events import delivered_batch, inbound_batch
from tests.services.support import SECRET_KEY


def _counted(event: str) -> float:
    return REGISTRY.get_sample_value("wxhub_events_total", {"event": event}) or 0.0


async def _day_total(service: StatsService, event: str) -> int:
    table = ROLLUP_TABLES["day"]
    query = select(func.coalesce(func.sum(table.c.count), 0)).where(table.c.event == event)
    async with service.resources.sessions() as session:
        return int((await session.execute(query)).scalar_one())


async def test_a_batch_counts_as_its_items_not_as_one_event(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    before = _counted("delivery.delivered")
    await bus.publish(EVENTS, "delivery.delivered", delivered_batch(7).to_bytes())
    await bus.publish(EVENTS, "inbound.handled", inbound_batch(["text"] * 3).to_bytes())
    await eventually(lambda: _counted("delivery.delivered") - before == 7, what="7 counted")
    assert await eventually(lambda: _day_total(service, "inbound.handled")) == 3
    assert await _day_total(service, "delivery.delivered") == 7


async def test_a_redelivered_batch_is_neither_counted_nor_stored_twice(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    body = delivered_batch(4).to_bytes()
    before = _counted("delivery.delivered")
    await bus.publish(EVENTS, "delivery.delivered", body)
    await eventually(lambda: _counted("delivery.delivered") - before == 4, what="first copy")
    await bus.publish(EVENTS, "delivery.delivered", body)
    await bus.publish(EVENTS, "inbound.handled", inbound_batch(["text"]).to_bytes())
    await eventually(lambda: _day_total(service, "inbound.handled"), what="later message stored")
    assert _counted("delivery.delivered") - before == 4
    assert await _day_total(service, "delivery.delivered") == 4
    async with service.resources.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StatsEvent)) == 5


async def test_a_malformed_message_is_dead_lettered_and_the_rest_go_on(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    dead: list[Message] = []

    async def collect(delivery: Delivery) -> None:
        dead.append(delivery.message)

    subscription = await bus.consume(DEAD, collect)
    await bus.publish(EVENTS, "delivery.failed", b'{"items": [{"status": 1}]}')
    await bus.publish(EVENTS, "inbound.handled", inbound_batch(["voice"]).to_bytes())
    assert await eventually(lambda: _day_total(service, "inbound.handled")) == 1
    await eventually(lambda: dead, what="malformed message dead-lettered")
    await subscription.cancel()
    assert [m.routing_key for m in dead] == ["delivery.failed"]


async def test_ready_when_bus_and_database_answer(stats: tuple[StatsService, MemoryBus]) -> None:
    service, _ = stats
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url="http://stats"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert "db" in response.text


async def test_delivery_metrics_carry_the_account_and_the_latency(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    _, bus = stats
    labels = {"account": "acct-metrics", "outcome": "delivered"}

    def observed() -> float:
        return REGISTRY.get_sample_value("wxhub_stats_delivery_latency_seconds_count", labels) or 0

    def within_half_second() -> float:
        return (
            REGISTRY.get_sample_value(
                "wxhub_stats_delivery_latency_seconds_bucket", {**labels, "le": "0.5"}
            )
            or 0
        )

    def delivered() -> float:
        sample = REGISTRY.get_sample_value(
            "wxhub_stats_deliveries_total",
            {"account": "acct-metrics", "status": "delivered", "channel": "wechat_template"},
        )
        return sample or 0

    before, before_fast, before_delivered = observed(), within_half_second(), delivered()
    await bus.publish(
        EVENTS,
        "delivery.delivered",
        delivered_batch(3, account="acct-metrics", latency_s=0.3).to_bytes(),
    )
    await bus.publish(
        EVENTS,
        "delivery.delivered",
        delivered_batch(1, account="acct-metrics", latency_s=40).to_bytes(),
    )
    await eventually(lambda: observed() - before == 4, what="4 latencies observed")
    assert within_half_second() - before_fast == 3
    assert delivered() - before_delivered == 4


async def test_events_wait_in_the_queue_while_the_database_fails(tmp_path: Any) -> None:
    # A database without the stats tables fails every write, as one that is down would.
    url = f"sqlite+aiosqlite:///{tmp_path}/later.db"
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    settings = StatsSettings(
        database_url=url, secret_key=SECRET_KEY, heartbeat_interval_s=3600, stats_store_retry_s=0.05
    )
    resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    service = StatsService(settings, resources)
    dead: list[Message] = []

    async def collect(delivery: Delivery) -> None:
        dead.append(delivery.message)

    subscription = await bus.consume(DEAD, collect)
    await service.start()
    try:
        before = _counted("delivery.delivered")
        await bus.publish(EVENTS, "delivery.delivered", delivered_batch(5).to_bytes())
        await asyncio.sleep(0.5)  # several failed attempts
        assert dead == []
        assert _counted("delivery.delivered") == before
        await upgrade_async(url)  # the database is back
        assert await eventually(lambda: _day_total(service, "delivery.delivered")) == 5
        assert _counted("delivery.delivered") - before == 5
    finally:
        await subscription.cancel()
        await service.stop()
        await resources.close()
        await bus.close()


async def _beats(service: StatsService) -> dict[tuple[str, str], ServiceHeartbeat]:
    """The stored heartbeats, but the stats service's own."""
    async with service.resources.sessions() as session:
        rows = (await session.scalars(select(ServiceHeartbeat))).all()
    return {(row.service, row.instance_id): row for row in rows if row.service != "stats"}


async def test_each_instance_keeps_its_latest_heartbeat(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    now = datetime.now(UTC)
    newer = HeartbeatSent(service="engine", instance_id="e1", uptime_s=20.0, occurred_at=now)
    older = HeartbeatSent(
        service="engine", instance_id="e1", uptime_s=10.0, occurred_at=now - timedelta(seconds=10)
    )
    other = HeartbeatSent(service="gateway", instance_id="g1", uptime_s=5.0, occurred_at=now)
    for beat in (newer, older, other):
        await bus.publish(EVENTS, f"heartbeat.{beat.service}", beat.to_bytes())
    # Handled concurrently, in any order: whichever beat of e1 is stored last, the newer one stays.
    beats = await eventually(
        lambda: _beats_when(service, 2, uptime=("engine", "e1", 20.0)), what="two instances"
    )
    assert beats["engine", "e1"].last_seen_at == now
    assert beats["gateway", "g1"].uptime_s == 5.0
    # The older beat stored after the newer one changes nothing.
    assert service.beats is not None
    await service.beats.record(older)
    beats = await _beats(service)
    assert (beats["engine", "e1"].uptime_s, beats["engine", "e1"].last_seen_at) == (20.0, now)


async def _beats_when(
    service: StatsService, count: int, *, uptime: tuple[str, str, float] | None = None
) -> dict[tuple[str, str], ServiceHeartbeat]:
    """The stored heartbeats once there are ``count`` of them and, if given, ``(service,
    instance, uptime)`` is stored (empty before)."""
    beats = await _beats(service)
    if uptime is not None:
        row = beats.get(uptime[:2])
        if row is None or row.uptime_s != uptime[2]:
            return {}
    return beats if len(beats) == count else {}


async def test_instances_silent_past_the_retention_are_pruned(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    # The maintenance loop would prune the old beat on its own (its first run races with the
    # publishes below): stop it, so the pruning seen is the one called here.
    assert service.maintenance is not None
    await service.maintenance.stop()
    now = datetime.now(UTC)
    for instance, age in (("old", timedelta(days=8)), ("fresh", timedelta(minutes=1))):
        beat = HeartbeatSent(
            service="dispatcher", instance_id=instance, uptime_s=1.0, occurred_at=now - age
        )
        await bus.publish(EVENTS, "heartbeat.dispatcher", beat.to_bytes())
    await eventually(lambda: _beats_when(service, 2), what="both stored")
    await service.maintain()
    assert list(await _beats(service)) == [("dispatcher", "fresh")]
