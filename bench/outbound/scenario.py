"""One run: submit ``count`` notifications, wait for their terminal status events, measure."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from bench.outbound.meters import CpuMeter, PgMeter
from bench.outbound.submit import Submitter
from libs.common.bus import Delivery
from libs.common.schemas.events import DeliveryStatusChangedBatch

TERMINAL = {"delivered", "fallback_sent", "suppressed", "failed"}


@dataclass
class Result:
    """Figures of one run."""

    label: str
    count: int
    accept_s: float
    total_s: float
    statuses: dict[str, int]
    latencies: dict[str, list[float]]
    cpu_ms: dict[str, float] = field(default_factory=dict)
    pg: dict[str, float | None] | None = None
    # Status events per notification: AMQP messages, and the events they carry.
    events: tuple[float, float] = (0.0, 0.0)


class Collector:
    """Terminal status events, by notification id, from the bench's ``delivery.*`` queue."""

    def __init__(self) -> None:
        self.terminal: dict[str, tuple[str, float]] = {}
        self.changed = asyncio.Event()
        self.messages = 0  # AMQP messages of status events received
        self.events = 0  # status events in them

    async def on_event(self, delivery: Delivery) -> None:
        """Record the terminal events of a batch."""
        items = DeliveryStatusChangedBatch.from_bytes(delivery.message.body).items
        self.messages += 1
        self.events += len(items)
        for event in items:
            if event.status in TERMINAL and event.accepted_at is not None:
                latency = (event.occurred_at - event.accepted_at).total_seconds()
                self.terminal[event.notification_id] = (event.status, latency)
        self.changed.set()
        await delivery.ack()


async def run_scenario(
    label: str,
    run: str,
    count: int,
    *,
    submitter: Submitter,
    collector: Collector,
    rate: float,
    batch: int,
    cpu: CpuMeter,
    pg: PgMeter | None = None,
) -> Result:
    """Submit ``count`` notifications ``batch`` per call (paced at ``rate``/s, 0: unpaced) and
    wait until each reached a terminal status (or a generous deadline passed)."""
    cpu.reset()
    if pg is not None:
        await pg.reset()
    messages, events = collector.messages, collector.events
    ids: list[str] = []
    started = time.perf_counter()
    in_flight = asyncio.Semaphore(4)

    async def one(start: int, n: int) -> None:
        async with in_flight:
            ids.extend(await submitter.submit(run, start, n))

    tasks = []
    for i, start in enumerate(range(0, count, batch)):
        if rate > 0:
            # Paced (open loop): batch i is due at i * batch / rate seconds.
            delay = started + i * batch / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(start, min(batch, count - start))))
    await asyncio.gather(*tasks)
    accept_s = time.perf_counter() - started
    wanted = set(ids)
    give_up = time.perf_counter() + max(120.0, count / 100)
    while len(wanted.intersection(collector.terminal)) < len(wanted):
        if time.perf_counter() > give_up:
            break
        collector.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(collector.changed.wait(), 1.0)
    total_s = time.perf_counter() - started
    statuses: dict[str, int] = {}
    latencies: dict[str, list[float]] = {}
    for nid in wanted:
        found = collector.terminal.get(nid)
        if found is None:
            continue
        statuses[found[0]] = statuses.get(found[0], 0) + 1
        latencies.setdefault(found[0], []).append(found[1])
    done = sum(statuses.values())
    cpu_ms = cpu.per_message_ms(done)
    pg_figures = await pg.per_message(done) if pg is not None else None
    per = max(done, 1)
    return Result(
        label,
        count,
        accept_s,
        total_s,
        statuses,
        latencies,
        cpu_ms,
        pg_figures,
        ((collector.messages - messages) / per, (collector.events - events) / per),
    )
