"""A scratch namespace is deleted with every queue the services declared in it."""

from __future__ import annotations

import uuid

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity

from libs.common.bus import AmqpBus, Queue, Topology, default_topology
from services.dispatcher.delivery_reports import reports_topology
from services.dispatcher.handlers import interactions_topology
from wxhub.scratch_bus import delete_namespace

pytestmark = pytest.mark.amqp


async def _existing(amqp_url: str, names: list[str]) -> list[str]:
    """Which of the queues ``names`` the broker has (a passive declare per queue)."""
    found = []
    connection = await aio_pika.connect(amqp_url)
    try:
        for name in names:
            channel = await connection.channel()
            try:
                await channel.declare_queue(name, passive=True)
                found.append(name)
            except ChannelNotFoundEntity:
                pass
    finally:
        await connection.close()
    return found


async def test_the_dispatchers_own_queues_go_with_the_namespace(amqp_url: str) -> None:
    namespace = f"scratch{uuid.uuid4().hex[:8]}"
    bus = AmqpBus(amqp_url, namespace=namespace)
    await bus.connect()
    try:
        declared = (
            default_topology(),
            reports_topology(),
            interactions_topology(),
            Topology(queues=[Queue("test.extra")]),
        )
        for topology in declared:
            await bus.declare(topology)
        names = [bus.qualify(queue.name) for topology in declared for queue in topology.queues]
    finally:
        await bus.close()
    assert await _existing(amqp_url, names) == names

    await delete_namespace(amqp_url, namespace, "test.extra")

    assert await _existing(amqp_url, names) == []
