"""AmqpBus against the bus contract on the real RabbitMQ, one namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from libs.common.bus import (
    ENGINE_INBOUND,
    INBOUND,
    AmqpBus,
    Bus,
    BusError,
    QueueType,
    default_topology,
)
from tests.libs.common.bus.contract import BusContract, Inbox, PriorityContract

pytestmark = pytest.mark.amqp


async def _isolated_bus(amqp_url: str, queue_type: QueueType) -> AsyncIterator[AmqpBus]:
    bus = AmqpBus(amqp_url, namespace=f"test-{uuid.uuid4().hex[:10]}", queue_type=queue_type)
    await bus.connect()
    topology = default_topology()
    await bus.declare(topology)
    try:
        yield bus
    finally:
        await bus.delete(topology)
        await bus.close()


class TestAmqpBus(BusContract):
    @pytest.fixture
    async def bus(self, amqp_url: str) -> AsyncIterator[Bus]:
        async for bus in _isolated_bus(amqp_url, "quorum"):
            yield bus


class TestAmqpBusClassicQueues(PriorityContract):
    @pytest.fixture
    async def bus(self, amqp_url: str) -> AsyncIterator[Bus]:
        async for bus in _isolated_bus(amqp_url, "classic"):
            yield bus


async def test_publish_to_unknown_exchange_raises_and_bus_keeps_working(amqp_url: str) -> None:
    async for bus in _isolated_bus(amqp_url, "classic"):
        with pytest.raises(BusError):
            await bus.publish("no.such.exchange", "x", b"x")
        inbox = Inbox()
        await bus.consume(ENGINE_INBOUND, inbox)
        await bus.publish(INBOUND, "demo.text", b"still fine")
        assert [m.body for m in await inbox.wait(1)] == [b"still fine"]
        assert await bus.ping()


async def test_unreachable_broker_raises_bus_error() -> None:
    bus = AmqpBus("amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(BusError):
        await bus.connect()
    assert await bus.ping() is False
