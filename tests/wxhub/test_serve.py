"""``wxhub serve <name>`` and ``python -m services.<name>``: one entry, and a taken port claims
no message (a replacement that cannot listen exits before consuming)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from libs.common.bus import EVENTS, STATS_EVENTS, AmqpBus, Delivery, default_topology
from libs.common.schemas.events import HeartbeatSent
from wxhub.processes import REPO_ROOT, free_port
from wxhub.scratch_bus import delete_topologies

pytestmark = [pytest.mark.amqp, pytest.mark.e2e]


@pytest.fixture
async def bus(amqp_url: str) -> AsyncIterator[AmqpBus]:
    """A bus in a namespace of its own, deleted afterwards."""
    bus = AmqpBus(amqp_url, namespace=f"serve{uuid.uuid4().hex[:8]}")
    await bus.connect()
    await bus.declare(default_topology())
    yield bus
    await delete_topologies(bus)
    await bus.close()


@pytest.mark.parametrize(
    "command",
    [["-m", "services.stats"], ["-m", "wxhub.cli", "serve", "stats"]],
    ids=["python -m services.stats", "wxhub serve stats"],
)
async def test_taken_port_exits_non_zero_without_consuming(
    bus: AmqpBus, amqp_url: str, tmp_path: Path, command: list[str]
) -> None:
    event = HeartbeatSent(service="probe", instance_id="probe-1", uptime_s=1.0)
    await bus.publish(EVENTS, "heartbeat.probe", event.to_bytes(), message_id=event.message_id)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")},
        "WXHUB_AMQP_URL": amqp_url,
        "WXHUB_BUS_NAMESPACE": bus.namespace,
        "WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/wxhub.db",
        "WXHUB_STATS_PORT": str(port),
    }
    with socket.create_server(("127.0.0.1", port)):
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, *command],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=60,
        )
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 1, output
    assert "port_unavailable" in output
    assert f"127.0.0.1:{port}" in output

    # The event is still in stats.events, never delivered to the failed process.
    received: list[Delivery] = []
    arrived = asyncio.Event()

    async def take(delivery: Delivery) -> None:
        received.append(delivery)
        await delivery.ack()
        arrived.set()

    subscription = await bus.consume(STATS_EVENTS, take)
    try:
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        await subscription.cancel()
    assert [d.message.message_id for d in received] == [event.message_id]
    assert received[0].message.headers.get("x-delivery-count") in (None, 0)
