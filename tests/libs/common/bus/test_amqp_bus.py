"""AmqpBus against the bus contract on the real RabbitMQ, one namespace per test."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator

import pytest

from libs.common.bus import (
    DISPATCHER_ALERT,
    ENGINE_INBOUND,
    INBOUND,
    OUTBOUND,
    AmqpBus,
    Bus,
    BusError,
    Delivery,
    QueueType,
    default_topology,
)
from tests.libs.common.bus.contract import BusContract, PriorityContract
from tests.support import Inbox

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


def _close_on_broker(connection_name: str) -> None:
    """Have RabbitMQ drop a client connection, as on a network cut or a node restart."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = [line.split()[0] for line in listed.splitlines() if connection_name in line]
    assert len(pids) == 1, f"connection {connection_name} not found: {listed}"
    subprocess.run(
        ["rabbitmqctl", "-q", "close_connection", pids[0], "test: dropped"],
        capture_output=True,
        check=True,
    )


@pytest.fixture
async def quorum_bus(amqp_url: str) -> AsyncIterator[AmqpBus]:
    async for bus in _isolated_bus(amqp_url, "quorum"):
        yield bus


async def _until_ping_is(bus: AmqpBus, expected: bool, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await bus.ping() is not expected:
        assert asyncio.get_running_loop().time() < deadline, f"ping never became {expected}"
        await asyncio.sleep(0.02)


async def test_consumers_and_request_reply_recover_after_the_broker_drops_the_connection(
    quorum_bus: AmqpBus,
) -> None:
    bus = quorum_bus
    inbox = Inbox()

    async def echo(delivery: Delivery) -> None:
        await bus.reply(delivery.message, b"re:" + delivery.message.body)

    await bus.consume(ENGINE_INBOUND, inbox)
    await bus.consume(DISPATCHER_ALERT, echo)
    await bus.publish(INBOUND, "demo.text", b"before")
    assert (await bus.request(OUTBOUND, "alert.wechat", b"q1", timeout=5)).body == b"re:q1"
    await inbox.wait(1)

    # Watch before provoking: the client may be back before a poll of ping() would notice.
    reconnected = asyncio.Event()
    connection = bus._connection
    assert connection is not None
    connection.reconnect_callbacks.add(lambda *_: reconnected.set())
    await asyncio.to_thread(_close_on_broker, bus.connection_name)
    await asyncio.wait_for(reconnected.wait(), timeout=60)
    await _until_ping_is(bus, True, timeout=60)

    # The same subscriptions consume again, and replies find their way on the new channel.
    # The broker may take a moment to accept the consumer back: retry until a generous deadline.
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        try:
            reply = await bus.request(OUTBOUND, "alert.wechat", b"q2", timeout=2)
            break
        except BusError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
    assert reply.body == b"re:q2"
    await bus.publish(INBOUND, "demo.text", b"after")
    assert [m.body for m in await inbox.wait(2, timeout=30)][-1] == b"after"
