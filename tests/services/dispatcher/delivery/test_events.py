"""Status events: batched per status, ``sending`` first."""

from __future__ import annotations

import asyncio

from libs.common.bus import EVENTS, Delivery, MemoryBus, Queue, Topology, default_topology
from libs.common.schemas.events import DeliveryStatusChanged, DeliveryStatusChangedBatch
from services.dispatcher.delivery.events import status_events


async def test_status_events_go_out_batched_per_status_sending_first() -> None:
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    await bus.declare(Topology(queues=[Queue("test.delivery", [(EVENTS, "delivery.*")])]))
    received: list[tuple[str, list[str]]] = []

    async def capture(delivery: Delivery) -> None:
        batch = DeliveryStatusChangedBatch.from_bytes(delivery.message.body)
        received.append((delivery.message.routing_key, [e.notification_id for e in batch.items]))

    await bus.consume("test.delivery", capture)
    events = status_events(bus, interval_s=60)
    for nid, status in (("n1", "delivered"), ("n2", "sending"), ("n3", "delivered")):
        events.add(DeliveryStatusChanged(notification_id=nid, account="demo", status=status))
    await events.stop()  # flushes what is queued
    await asyncio.sleep(0.05)
    assert received == [("delivery.sending", ["n2"]), ("delivery.delivered", ["n1", "n3"])]
    await bus.close()
