"""Heartbeat on the in-process bus: beats on schedule, survives bus failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from libs.common.bus import EVENTS, STATS_EVENTS, MemoryBus, default_topology
from libs.common.observability.heartbeat import Heartbeat
from libs.common.observability.metrics import HEARTBEAT_SENT
from libs.common.schemas.events import HeartbeatSent
from tests.polling import eventually
from tests.support import Inbox


async def test_beats_immediately_then_every_interval() -> None:
    bus = MemoryBus()
    await bus.declare(default_topology())
    inbox = Inbox()
    await bus.consume(STATS_EVENTS, inbox)
    # With a 60 s interval, a beat within the wait can only be the immediate one.
    first_only = Heartbeat(bus, service="engine", instance_id="i-6", interval_s=60)
    await first_only.start()
    await inbox.wait(1)
    await first_only.stop()
    assert len(inbox.messages) == 1
    inbox.messages.clear()

    heartbeat = Heartbeat(
        bus, service="engine", instance_id="i-7", interval_s=0.2, details=lambda: {"lag": 3}
    )
    await heartbeat.start()
    await inbox.wait(3)
    await heartbeat.stop()

    first = inbox.messages[0]
    assert (first.exchange, first.routing_key) == (EVENTS, "heartbeat.engine")
    events = [HeartbeatSent.from_bytes(m.body) for m in inbox.messages]
    assert {(e.service, e.instance_id) for e in events} == {("engine", "i-7")}
    assert events[0].details == {"lag": 3}
    assert events[0].uptime_s <= events[-1].uptime_s
    assert first.message_id == events[0].message_id

    count = len(inbox.messages)
    await asyncio.sleep(0.3)
    assert len(inbox.messages) == count
    assert not heartbeat.running
    await bus.close()


async def test_failed_beats_are_retried_next_tick() -> None:
    bus = MemoryBus()  # no topology yet: publishing fails
    failures = 0

    def details() -> dict[str, int]:
        nonlocal failures
        failures += 1
        if failures == 2:
            raise RuntimeError("details provider broke")
        return {}

    heartbeat = Heartbeat(
        bus, service="gateway", instance_id="i-1", interval_s=0.02, details=details
    )
    await heartbeat.start()
    await eventually(lambda: failures >= 3)
    assert heartbeat.running

    await bus.declare(default_topology())
    inbox = Inbox()
    await bus.consume(STATS_EVENTS, inbox)
    (message, *_) = await inbox.wait(1)
    assert message.routing_key == "heartbeat.gateway"
    await heartbeat.stop()
    await bus.close()


async def test_sent_gauge_moves_only_when_a_beat_is_published() -> None:
    gauge = HEARTBEAT_SENT.labels("heartbeat-gauge-test")
    bus = MemoryBus()  # no topology: the publish fails
    heartbeat = Heartbeat(bus, service="heartbeat-gauge-test", instance_id="i-9")
    before = gauge._value.get()
    with pytest.raises(Exception):  # noqa: B017 - whatever the bus raises
        await heartbeat.beat()
    assert gauge._value.get() == before

    await bus.declare(default_topology())
    started = time.time()
    await heartbeat.beat()
    assert started <= gauge._value.get() <= time.time()
    await bus.close()
