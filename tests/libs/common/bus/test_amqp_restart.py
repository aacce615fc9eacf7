"""AmqpBus across a RabbitMQ restart, on a private broker node (never the shared one).

A transient queue (an admin API replica's console pushes) dies with the broker. Its consumer
must declare it again when the connection comes back; consuming it passively left the
connection failing with NOT_FOUND forever, and the replica never ready again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.common.bus import CS_PUSH, AmqpBus, Delivery, Queue, Topology, default_topology
from tests.polling import eventually
from tests.support import in_ci
from wxhub.chaos.infra import InfraError, PrivateRabbit
from wxhub.ports import free_ports

pytestmark = [pytest.mark.amqp]


@pytest.fixture
def rabbit(tmp_path: Path) -> Iterator[PrivateRabbit]:
    """A RabbitMQ node of this test's own, which it may restart."""
    port, dist_port = free_ports(2)
    node = PrivateRabbit(tmp_path / "rabbitmq", port, dist_port)
    node.init()
    try:
        node.start()
    except InfraError as exc:
        node.stop()
        if in_ci():
            pytest.fail(f"cannot start a private RabbitMQ node (CI=true): {exc}")
        pytest.skip(f"cannot start a private RabbitMQ node: {exc}")
    yield node
    node.stop()


async def test_transient_queue_consumer_comes_back_after_a_broker_restart(
    rabbit: PrivateRabbit,
) -> None:
    bus = AmqpBus(rabbit.url, namespace="restart.")
    await bus.connect()
    try:
        await bus.declare(default_topology())
        await bus.declare(Topology(queues=[Queue("admin.cs.r1", [(CS_PUSH, "#")], transient=True)]))
        got: list[bytes] = []

        async def collect(delivery: Delivery) -> None:
            got.append(delivery.message.body)
            await delivery.ack()

        await bus.consume("admin.cs.r1", collect)
        await bus.publish(CS_PUSH, "agent.1", b"before")
        await eventually(lambda: got == [b"before"], what="the push before the restart")

        await asyncio.to_thread(rabbit.restart)

        async def delivered_after_restart() -> bool:
            try:
                await bus.publish(CS_PUSH, "agent.1", b"after")
            except Exception:
                return False
            await asyncio.sleep(0.2)
            return b"after" in got

        await eventually(delivered_after_restart, timeout=60.0, every=1.0, what="a push after")
        assert await bus.ping()
    finally:
        await bus.close()
