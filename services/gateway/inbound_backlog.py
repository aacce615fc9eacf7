"""Callbacks accepted while the bus was unreachable, handed to the engine once it is back.

A callback whose message cannot be published (RabbitMQ restarting, connections closed) has
already been answered ``success``: WeChat shows the follower nothing and does not send it again.
Forgetting it would lose the follower's message, so the gateway keeps it here and publishes it
in the background, with backoff, until the bus takes it. Its ledger entry is ``EXPIRED`` by then,
so the engine answers it as a late reply through the customer-service API (within WeChat's 48 h).

The backlog lives in the gateway's memory and is bounded: a gateway that is killed while the bus
is away loses what it holds (logged at shutdown when it cannot be flushed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass

from libs.common.bus import INBOUND, Bus
from libs.common.observability.logging import get_logger
from services.gateway.metrics import INBOUND_BACKLOG

log = get_logger(__name__)

MAX_ITEMS = 10_000
_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Pending:
    """One inbound message waiting for the bus."""

    routing_key: str
    body: bytes
    message_id: str


class InboundBacklog:
    """Publishes kept inbound messages in order, retrying until the bus accepts each."""

    def __init__(self, bus: Bus, *, max_items: int = MAX_ITEMS) -> None:
        self._bus = bus
        self._items: deque[Pending] = deque()
        self._max_items = max_items
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: Pending) -> bool:
        """Keep ``item`` for publishing; False when the backlog is full (the item is dropped)."""
        if len(self._items) >= self._max_items:
            return False
        self._items.append(item)
        INBOUND_BACKLOG.set(len(self._items))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="inbound backlog")
        return True

    async def flush(self) -> bool:
        """Publish everything held, oldest first; stops at the first failure. True when empty."""
        while self._items:
            item = self._items[0]
            try:
                await self._bus.publish(
                    INBOUND, item.routing_key, item.body, message_id=item.message_id
                )
            except Exception as exc:
                log.warning("inbound_backlog_publish_failed", held=len(self._items), error=str(exc))
                return False
            self._items.popleft()
            INBOUND_BACKLOG.set(len(self._items))
            log.info("inbound_backlog_published", message_id=item.message_id)
        return True

    async def _run(self) -> None:
        failures = 0
        while self._items:
            if await self.flush():
                return
            await asyncio.sleep(_BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)])
            failures += 1

    async def stop(self) -> None:
        """One last flush; what cannot be published is logged as lost."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._items and not await self.flush():
            log.error(
                "inbound_backlog_lost_at_shutdown",
                count=len(self._items),
                message_ids=[item.message_id for item in self._items][:50],
            )
