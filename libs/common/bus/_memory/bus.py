"""MemoryBus: the bus contract in-process (``wxhub dev`` and unit tests), no broker involved."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from libs.common.bus._base import Bus
from libs.common.bus._delivery import Handler, Subscription
from libs.common.bus._memory.queues import MemoryQueue, MemorySubscription
from libs.common.bus._message import BusError, Message, Unroutable
from libs.common.bus._routing import ExchangeKind, binding_matches
from libs.common.bus.topology import DLX, Topology


class MemoryBus(Bus):
    """In-process bus with the broker's semantics: exchange kinds, topic wildcards, priorities,
    prefetch, ack/nack/requeue, dead-lettering to ``wx.dlx`` with an ``x-death`` header,
    unroutable publishes refused, request/reply through a private reply queue.

    It is usable as soon as it is built; ``close()`` shuts it until ``connect()`` again.
    """

    def __init__(self, namespace: str = "", *, prefetch: int = 256) -> None:
        super().__init__(namespace)
        self._default_prefetch = prefetch
        self._exchanges: dict[str, ExchangeKind] = {}
        self._bindings: dict[str, list[tuple[str, MemoryQueue]]] = {}
        self._queues: dict[str, MemoryQueue] = {}
        self._subscriptions: set[MemorySubscription] = set()
        self._order = 0
        self._reply_queue: str | None = None
        self._closed = False

    async def connect(self) -> None:
        """Open the bus (it starts open)."""
        self._closed = False

    async def close(self) -> None:
        """Cancel every subscription and fail waiting requests."""
        self._closed = True
        for subscription in list(self._subscriptions):
            await subscription.cancel()
        self._fail_pending()

    async def ping(self) -> bool:
        """True unless closed."""
        return not self._closed

    async def declare(self, topology: Topology) -> None:
        """Declare exchanges, queues and bindings (idempotent)."""
        self._check_open()
        for exchange in topology.exchanges:
            name = self.qualify(exchange.name)
            known = self._exchanges.setdefault(name, exchange.kind)
            if known != exchange.kind:
                raise BusError(f"exchange {name} already declared as {known}")
            self._bindings.setdefault(name, [])
        for queue in topology.queues:
            name = self.qualify(queue.name)
            target = self._queues.get(name)
            if target is None:
                target = MemoryQueue(
                    name, dead_letter=queue.dead_letter, max_priority=queue.max_priority
                )
                self._queues[name] = target
            for exchange_name, key in queue.bindings:
                bindings = self._bindings.get(self.qualify(exchange_name))
                if bindings is None:
                    raise BusError(f"cannot bind {name}: no exchange {exchange_name}")
                if (key, target) not in bindings:
                    bindings.append((key, target))

    async def delete(self, topology: Topology) -> None:
        """Remove the topology's queues (with their messages) and exchanges."""
        for queue in topology.queues:
            removed = self._queues.pop(self.qualify(queue.name), None)
            for bindings in self._bindings.values():
                bindings[:] = [(key, q) for key, q in bindings if q is not removed]
        for exchange in topology.exchanges:
            self._exchanges.pop(self.qualify(exchange.name), None)
            self._bindings.pop(self.qualify(exchange.name), None)

    async def _publish(self, message: Message, *, persistent: bool) -> None:
        """Route the message to every bound queue; raises Unroutable when there is none."""
        self._check_open()
        if not self._route(self.qualify(message.exchange), message):
            raise Unroutable(
                f"no queue bound for {message.exchange or '(default)'}/{message.routing_key}"
            )

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int | None = None
    ) -> Subscription:
        """Start a consumer on ``queue`` with at most ``prefetch`` unsettled messages."""
        self._check_open()
        target = self._queues.get(self.qualify(queue))
        if target is None or target.sink is not None:
            raise BusError(f"no queue {queue}")
        subscription = MemorySubscription(
            target,
            handler,
            prefetch or self._default_prefetch,
            settle_refused=self.settle_refused,
            forget=self.forget,
        )
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: MemorySubscription) -> None:
        """Drop a cancelled subscription from the ones ``close()`` cancels."""
        self._subscriptions.discard(subscription)

    def settle_refused(
        self, queue: MemoryQueue, message: Message, order: int, *, requeue: bool
    ) -> None:
        """Requeue a refused message in its old place, or dead-letter it."""
        if requeue:
            if queue.name in self._queues:
                queue.put(replace(message, redelivered=True), order)
        elif queue.dead_letter:
            self._dead_letter(queue, message)

    async def _reply_address(self) -> str:
        if self._reply_queue is None:
            name = self.qualify(f"reply.{uuid.uuid4().hex}")
            self._queues[name] = MemoryQueue(
                name, dead_letter=False, max_priority=None, sink=self._on_reply
            )
            self._reply_queue = name
        return self._reply_queue

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("bus is closed")

    def _route(self, exchange: str, message: Message) -> bool:
        if not exchange:
            target = self._queues.get(message.routing_key)
            targets = [target] if target is not None else []
        else:
            kind = self._exchanges.get(exchange)
            if kind is None:
                raise BusError(f"no exchange {exchange}")
            targets = []
            for key, queue in self._bindings[exchange]:
                if queue not in targets and binding_matches(kind, key, message.routing_key):
                    targets.append(queue)
        for queue in targets:
            self._order += 1
            queue.put(message, self._order)
        return bool(targets)

    def _dead_letter(self, queue: MemoryQueue, message: Message) -> None:
        """Republish to wx.dlx as RabbitMQ does: same routing key, ``x-death`` prepended."""
        original_exchange = self.qualify(message.exchange)
        headers = dict(message.headers)
        deaths: list[dict[str, Any]] = [dict(d) for d in headers.get("x-death", [])]
        for death in deaths:
            if death.get("queue") == queue.name and death.get("reason") == "rejected":
                death["count"] = int(death.get("count", 0)) + 1
                deaths.remove(death)
                deaths.insert(0, death)
                break
        else:
            deaths.insert(
                0,
                {
                    "count": 1,
                    "reason": "rejected",
                    "queue": queue.name,
                    "exchange": original_exchange,
                    "routing-keys": [message.routing_key],
                    "time": datetime.now(UTC),
                },
            )
        headers["x-death"] = deaths
        headers.setdefault("x-first-death-reason", "rejected")
        headers.setdefault("x-first-death-queue", queue.name)
        headers.setdefault("x-first-death-exchange", original_exchange)
        dead = replace(message, exchange=DLX, headers=headers, redelivered=False)
        with contextlib.suppress(BusError):
            self._route(self.qualify(DLX), dead)
