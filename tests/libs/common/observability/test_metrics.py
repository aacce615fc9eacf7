"""Settlement of consumed messages is counted for the dashboards."""

from __future__ import annotations

import asyncio

from libs.common.bus import Exchange, MemoryBus, Queue, Topology
from libs.common.observability.metrics import BUS_DELIVERIES


async def test_ack_requeue_and_dead_letter_are_counted() -> None:
    bus = MemoryBus()
    await bus.declare(
        Topology(
            exchanges=[Exchange("m.x", "topic"), Exchange("wx.dlx", "fanout")],
            queues=[
                Queue("m.q", [("m.x", "#")]),
                Queue("wx.dead", [("wx.dlx", "")], dead_letter=False),
            ],
        )
    )

    def value(outcome: str) -> float:
        return float(BUS_DELIVERIES.labels("m.x", outcome)._value.get())

    before = {o: value(o) for o in ("ack", "requeue", "dead")}
    seen: list[bool] = []

    async def handler(delivery) -> None:
        seen.append(delivery.message.redelivered)
        if delivery.message.routing_key == "ok":
            await delivery.ack()
        elif not delivery.message.redelivered:
            await delivery.nack(requeue=True)
        else:
            await delivery.reject()

    await bus.consume("m.q", handler)
    await bus.publish("m.x", "ok", b"1")
    await bus.publish("m.x", "bad", b"2")
    for _ in range(100):
        if len(seen) >= 3:
            break
        await asyncio.sleep(0.01)
    assert value("ack") - before["ack"] == 1
    assert value("requeue") - before["requeue"] == 1
    assert value("dead") - before["dead"] == 1
    await bus.close()
