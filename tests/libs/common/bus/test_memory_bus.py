"""MemoryBus against the bus contract, plus what only the in-process bus promises."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from libs.common.bus import (
    ENGINE_INBOUND,
    INBOUND,
    AmqpBus,
    Bus,
    BusError,
    MemoryBus,
    RequestNotSent,
    RequestTimeout,
    default_topology,
    make_bus,
)
from libs.common.settings import CommonSettings
from tests.libs.common.bus.contract import BusContract, PriorityContract
from tests.support import Inbox


class TestMemoryBus(BusContract, PriorityContract):
    @pytest.fixture
    async def bus(self) -> AsyncIterator[Bus]:
        bus = MemoryBus(namespace=f"t{uuid.uuid4().hex[:8]}")
        async with bus:
            await bus.declare(default_topology())
            yield bus


async def test_closed_bus_refuses_work_and_fails_ping() -> None:
    bus = MemoryBus()
    await bus.declare(default_topology())
    await bus.close()
    assert await bus.ping() is False
    with pytest.raises(BusError):
        await bus.publish(INBOUND, "demo.text", b"x")


async def test_namespaces_isolate_buses_sharing_nothing() -> None:
    bus = MemoryBus(namespace="a")
    await bus.declare(default_topology())
    assert bus.qualify(INBOUND) == "a.wx.inbound"
    assert bus.logical("a.wx.inbound") == INBOUND
    inbox = Inbox()
    await bus.consume(ENGINE_INBOUND, inbox)
    await bus.publish(INBOUND, "demo.text", b"x")
    (message,) = await inbox.wait(1)
    assert message.exchange == INBOUND
    await bus.close()


async def test_publish_to_undeclared_exchange_is_an_error() -> None:
    bus = MemoryBus()
    with pytest.raises(BusError):
        await bus.publish(INBOUND, "demo.text", b"x")


class _NamespacedSettings(CommonSettings):
    bus_namespace: str = "ns1"


def test_make_bus_picks_the_implementation_from_settings() -> None:
    memory = make_bus(CommonSettings(amqp_url=None))
    assert isinstance(memory, MemoryBus)
    assert memory.namespace == ""
    amqp = make_bus(_NamespacedSettings(amqp_url="amqp://guest:guest@localhost/"))
    assert isinstance(amqp, AmqpBus)
    assert amqp.namespace == "ns1"
    assert amqp.qualify(INBOUND) == "ns1.wx.inbound"


class _UnconfirmingBus(MemoryBus):
    """A broker that takes publishes but never confirms them (one restarting)."""

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.Event().wait()


async def test_request_not_confirmed_before_its_deadline_is_not_sent_rather_than_timed_out() -> (
    None
):
    # A request whose reply is late was stored: someone works on it. One the broker never
    # confirmed may be nowhere: the caller must learn the difference (the gateway keeps it).
    bus = _UnconfirmingBus()
    await bus.declare(default_topology())
    with pytest.raises(RequestNotSent) as raised:
        await bus.request(INBOUND, "demo.text", b"x", timeout=0.1)
    assert not isinstance(raised.value, RequestTimeout)
    assert isinstance(raised.value, BusError)
