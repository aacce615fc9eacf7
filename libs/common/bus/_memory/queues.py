"""The in-process bus's queues, consumers and deliveries.

::

    MemoryBus._route ─▶ MemoryQueue.put (priority, then arrival order)
        ─▶ MemorySubscription._consume (a prefetch slot) ─▶ deliver(handler, MemoryDelivery)
            ─▶ ack: the slot is freed │ nack/reject: MemoryBus.settle_refused (requeue or DLX)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from libs.common.bus._delivery import Delivery, Handler, Subscription, deliver
from libs.common.bus._message import Message

# (negated priority, arrival order, message): highest priority first, FIFO within a priority.
_Item = tuple[int, int, Message]


class MemoryQueue:
    """A queue: messages ordered by priority then arrival; a requeued message keeps its place."""

    __slots__ = ("dead_letter", "items", "max_priority", "name", "sink")

    def __init__(
        self,
        name: str,
        *,
        dead_letter: bool,
        max_priority: int | None,
        sink: Callable[[Message], None] | None = None,
    ) -> None:
        self.name = name
        self.dead_letter = dead_letter
        self.max_priority = max_priority
        self.items: asyncio.PriorityQueue[_Item] = asyncio.PriorityQueue()
        self.sink = sink

    def put(self, message: Message, order: int) -> None:
        """Enqueue (or hand straight to the sink of a reply queue)."""
        if self.sink is not None:
            self.sink(message)
            return
        priority = min(message.priority, self.max_priority) if self.max_priority else 0
        self.items.put_nowait((-priority, order, message))


class SettleRefused(Protocol):
    """How the bus settles a refused message: back in its old place, or dead-lettered."""

    def __call__(
        self, queue: MemoryQueue, message: Message, order: int, *, requeue: bool
    ) -> None: ...


class MemoryDelivery(Delivery):
    """A message taken from a queue; nacked, it goes back in its old place or dead-letters."""

    __slots__ = ("_order", "_subscription")

    def __init__(self, subscription: MemorySubscription, order: int, message: Message) -> None:
        super().__init__(message)
        self._subscription = subscription
        self._order = order

    async def _ack(self) -> None:
        self._subscription.release(self)

    async def _nack(self, *, requeue: bool) -> None:
        self._subscription.release(self)
        self._subscription.settle_refused(
            self._subscription.queue, self.message, self._order, requeue=requeue
        )

    def abandon(self) -> None:
        """Give the message back unsettled (its consumer went away): requeued, redelivered."""
        if not self._settled:
            self._settled = True
            self._subscription.settle_refused(
                self._subscription.queue, self.message, self._order, requeue=True
            )


class MemorySubscription(Subscription):
    """A consumer: up to ``prefetch`` deliveries at once, each handled in a task of its own."""

    def __init__(
        self,
        queue: MemoryQueue,
        handler: Handler,
        prefetch: int,
        *,
        settle_refused: SettleRefused,
        forget: Callable[[MemorySubscription], None],
    ) -> None:
        self.settle_refused = settle_refused
        self._forget = forget
        self.queue = queue
        self._handler = handler
        self._slots = asyncio.Semaphore(prefetch)
        self._unsettled: set[MemoryDelivery] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._cancelled = False
        self._loop = asyncio.create_task(self._consume(), name=f"memory-bus-consume-{queue.name}")

    async def _consume(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                _, order, message = await self.queue.items.get()
            except asyncio.CancelledError:
                self._slots.release()
                raise
            delivery = MemoryDelivery(self, order, message)
            self._unsettled.add(delivery)
            task = asyncio.create_task(deliver(self._handler, delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def release(self, delivery: MemoryDelivery) -> None:
        """Free the prefetch slot a settled delivery held."""
        if delivery in self._unsettled:
            self._unsettled.discard(delivery)
            self._slots.release()

    async def cancel(self) -> None:
        """Stop consuming; running handlers are cancelled and unsettled messages requeued."""
        if self._cancelled:
            return
        self._cancelled = True
        self._forget(self)
        self._loop.cancel()
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(self._loop, *running, return_exceptions=True)
        for delivery in list(self._unsettled):
            self.release(delivery)
            delivery.abandon()
