"""Batching of high-volume, low-stakes events (one bus message per interval instead of per event).

Per-callback facts such as ``inbound.handled`` would double the broker's work on the callback hot
path if each were its own message. They feed statistics and the dispatcher's service windows, where
a second's delay does not matter; a crash loses at most one unflushed batch of them (never a
customer's message).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from libs.common.bus._base import Bus
from libs.common.periodic import Periodic
from libs.common.schemas import Envelope

log = logging.getLogger("libs.common.bus")

E = TypeVar("E", bound=Envelope)
B = TypeVar("B", bound=Envelope)

# Beyond this many unpublished events (broker down for long), the oldest are dropped.
MAX_BACKLOG = 100_000


class EventBatcher(Generic[E, B]):
    """Collects events and publishes them as ``B`` batches every ``interval_s`` or ``max_items``.

    ``routing_key`` is a fixed key, or a function of the event: events are then published as
    one batch per key, keys in ``key_order`` first (e.g. ``sending`` before ``delivered``).
    """

    def __init__(
        self,
        bus: Bus,
        exchange: str,
        routing_key: str | Callable[[E], str],
        make_batch: Callable[[list[E]], B],
        *,
        interval_s: float = 1.0,
        max_items: int = 500,
        key_order: Sequence[str] = (),
    ) -> None:
        self._bus = bus
        self._exchange = exchange
        self._routing_key = routing_key
        self._key_order = tuple(key_order)
        self._make_batch = make_batch
        self._interval_s = interval_s
        self._max_items = max_items
        self._items: list[E] = []
        self._loop = Periodic(self.flush, interval_s=interval_s, name=f"events-{exchange}")

    def add(self, event: E) -> None:
        """Queue one event (never blocks the caller)."""
        self._items.append(event)
        if len(self._items) >= self._max_items:
            self._loop.wake()

    async def start(self) -> None:
        """Start flushing in the background."""
        await self._loop.start()

    async def stop(self) -> None:
        """Stop the background task and flush what is left."""
        await self._loop.stop()
        await self.flush()

    async def flush(self) -> None:
        """Publish the queued events now (kept for the next flush if a publish fails)."""
        if not self._items:
            return
        items, self._items = self._items, []
        key = self._routing_key
        by_key: dict[str, list[E]] = {}
        for event in items:
            by_key.setdefault(key if isinstance(key, str) else key(event), []).append(event)
        order = [k for k in self._key_order if k in by_key]
        order += [k for k in by_key if k not in self._key_order]
        failed: list[E] = []
        for routing_key in order:
            try:
                batch = self._make_batch(by_key[routing_key])
                await self._bus.publish(self._exchange, routing_key, batch.to_bytes())
            except Exception:
                log.warning("event batch on %s not published; kept for retry", routing_key)
                failed.extend(by_key[routing_key])
        if failed:
            self._items = (failed + self._items)[-MAX_BACKLOG:]
