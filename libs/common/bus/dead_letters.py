"""Dead letters (R-OUT-10): list the ``wx.dead`` queue and replay messages to where they came from.

Operators reach this through the admin API (``/api/v1/dead-letters``, permission
``deadletter.replay``, audited); consumers recognise a replayed message by :data:`REPLAY_HEADER`.

Listing takes up to ``limit`` messages without settling them and then cancels the consumer, so
the broker puts them all back. Replaying republishes each message to its original exchange and
routing key (from the ``x-death`` header) with the :data:`REPLAY_HEADER` set, and acks it only
once the republish is confirmed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from libs.common.bus._base import Bus
from libs.common.bus._delivery import Delivery
from libs.common.bus._message import Message
from libs.common.bus.topology import DEAD

# Set on a replayed message: its consumer may act on it again (the dispatcher reopens a
# ``failed`` notification and gives it a fresh deadline).
REPLAY_HEADER = "x-wxhub-replay"

_DROP_HEADERS = frozenset(
    {
        "x-death",
        "x-first-death-reason",
        "x-first-death-queue",
        "x-first-death-exchange",
        "x-last-death-reason",
        "x-last-death-queue",
        "x-last-death-exchange",
        "x-delivery-count",
    }
)


def origin(bus: Bus, message: Message) -> tuple[str, str] | None:
    """The logical exchange and routing key a dead letter was first published to."""
    deaths = message.headers.get("x-death")
    if not deaths:
        return None
    first = deaths[-1] if isinstance(deaths, list) else None
    if not isinstance(first, Mapping):
        return None
    exchange = first.get("exchange")
    keys = first.get("routing-keys") or [message.routing_key]
    if not isinstance(exchange, str) or not keys:
        return None
    return bus.logical(exchange), str(keys[0])


def describe(bus: Bus, message: Message) -> dict[str, Any]:
    """A JSON view of a dead letter for operators."""
    where = origin(bus, message)
    deaths = message.headers.get("x-death") or []
    reason = deaths[0].get("reason") if deaths and isinstance(deaths[0], Mapping) else None
    when = deaths[0].get("time") if deaths and isinstance(deaths[0], Mapping) else None
    try:
        body: Any = message.body.decode()
    except UnicodeDecodeError:
        body = {"base64": base64.b64encode(message.body).decode()}
    return {
        "message_id": message.message_id,
        "exchange": where[0] if where else None,
        "routing_key": where[1] if where else message.routing_key,
        "reason": reason,
        "dead_at": when.isoformat() if isinstance(when, datetime) else when,
        "body": body,
    }


async def _collect(bus: Bus, limit: int, idle_s: float) -> tuple[list[Delivery], Any]:
    """Take up to ``limit`` dead letters, unsettled; stop when none arrives for ``idle_s``."""
    taken: list[Delivery] = []
    arrived = asyncio.Event()
    hold = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        taken.append(delivery)
        arrived.set()
        await hold.wait()  # keep it unsettled: cancelling the consumer requeues it

    subscription = await bus.consume(DEAD, handler, prefetch=limit)
    while len(taken) < limit:
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), idle_s)
        except TimeoutError:
            break
    return taken, subscription


async def list_dead_letters(
    bus: Bus, *, limit: int = 100, idle_s: float = 0.3
) -> list[dict[str, Any]]:
    """Up to ``limit`` dead letters, left in the queue."""
    taken, subscription = await _collect(bus, limit, idle_s)
    views = [describe(bus, delivery.message) for delivery in taken]
    await subscription.cancel()
    return views


async def replay_dead_letters(
    bus: Bus, *, limit: int = 100, message_ids: set[str] | None = None, idle_s: float = 0.3
) -> dict[str, Any]:
    """Republish up to ``limit`` dead letters (only ``message_ids`` if given) to their origin."""
    taken, subscription = await _collect(bus, limit, idle_s)
    replayed: list[str | None] = []
    skipped: list[dict[str, Any]] = []
    try:
        for delivery in taken:
            message = delivery.message
            if message_ids is not None and message.message_id not in message_ids:
                continue
            where = origin(bus, message)
            if where is None:
                skipped.append({"message_id": message.message_id, "why": "no x-death origin"})
                continue
            headers = {k: v for k, v in message.headers.items() if k not in _DROP_HEADERS}
            headers[REPLAY_HEADER] = 1
            await bus.publish(
                where[0],
                where[1],
                message.body,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                headers=headers,
                priority=message.priority,
            )
            await delivery.ack()
            replayed.append(message.message_id)
    finally:
        with contextlib.suppress(Exception):
            await subscription.cancel()
    return {"replayed": replayed, "skipped": skipped}
