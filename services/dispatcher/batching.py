"""Group commit for the hot path: many concurrent deliveries share one database transaction.

A :class:`GroupCommit` collects the items its callers submit while an earlier batch is being
written and writes them together as soon as a slot frees up. At low load a batch is one item
and nothing waits; under load batches grow by themselves, so round trips and commits per message
shrink exactly when they matter. Each caller gets its own result (or the batch's exception)
back, so it can ack its bus message only after its own write committed.

:class:`StatusEvents` is the same idea for ``wx.events``: ``delivery.<status>`` facts go out as
one :class:`~libs.common.schemas.events.DeliveryStatusChangedBatch` per status and interval
(the model is :class:`libs.common.bus.batcher.EventBatcher`); the database stays the record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from libs.common.bus import EVENTS, Bus
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import DeliveryStatusChanged, DeliveryStatusChangedBatch

log = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Status batches are published in this order, so a consumer sees ``sending`` before the outcome.
_STATUS_ORDER = ("sending", "delivered", "fallback_sent", "failed")
# Beyond this many unpublished events (broker down for long), the oldest are dropped.
MAX_BACKLOG = 100_000


class GroupCommit(Generic[T, R]):
    """Runs ``write(items) -> results`` over batches of submitted items (group commit)."""

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_items: int = 200,
        max_inflight: int = 2,
    ) -> None:
        self._write = write
        self._max_items = max_items
        self._max_inflight = max_inflight
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._inflight = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Queue ``item`` for the next batch and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._schedule()
        # Shielded: a cancelled caller must not cancel the batch the others wait for.
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until the batches being written are done (before closing the database)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _schedule(self) -> None:
        if self._scheduled or not self._queue or self._inflight >= self._max_inflight:
            return
        self._scheduled = True
        # call_soon: everything submitted in this loop iteration joins the same batch.
        asyncio.get_running_loop().call_soon(self._start)

    def _start(self) -> None:
        self._scheduled = False
        while self._queue and self._inflight < self._max_inflight:
            batch, self._queue = self._queue[: self._max_items], self._queue[self._max_items :]
            self._inflight += 1
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except BaseException as exc:  # handed to every waiting caller, then re-raised if fatal
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._inflight -= 1
            self._schedule()


class StatusEvents:
    """Publishes ``delivery.<status>`` events in batches, one per status and flush."""

    def __init__(self, bus: Bus, *, interval_s: float = 0.2, max_items: int = 1000) -> None:
        self._bus = bus
        self._interval_s = interval_s
        self._max_items = max_items
        self._items: list[DeliveryStatusChanged] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, event: DeliveryStatusChanged) -> None:
        """Queue one event (never blocks the caller)."""
        self._items.append(event)
        if len(self._items) >= self._max_items:
            self._full.set()

    async def start(self) -> None:
        """Start flushing in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the background task and flush what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Publish the queued events now (kept for the next flush if a publish fails)."""
        if not self._items:
            return
        items, self._items = self._items, []
        self._full.clear()
        by_status: dict[str, list[DeliveryStatusChanged]] = {}
        for event in items:
            by_status.setdefault(event.status, []).append(event)
        order = [s for s in _STATUS_ORDER if s in by_status]
        order += [s for s in by_status if s not in _STATUS_ORDER]
        failed: list[DeliveryStatusChanged] = []
        for status in order:
            batch = DeliveryStatusChangedBatch(items=by_status[status])
            try:
                await self._bus.publish(EVENTS, f"delivery.{status}", batch.to_bytes())
            except Exception:
                log.warning("delivery_events_not_published", status=status, exc_info=True)
                failed.extend(by_status[status])
        if failed:
            self._items = (failed + self._items)[-MAX_BACKLOG:]

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), timeout=self._interval_s)
            await self.flush()
