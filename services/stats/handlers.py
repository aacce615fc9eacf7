"""The stats service's bus edge: every event on ``wx.events`` is counted and stored.

A message is acked only once its events are committed to the event store (or were already
there), so a crash before the commit means a redelivery, and the redelivery adds nothing twice.
Malformed messages are dead-lettered; a failing database puts messages back on the queue.
Heartbeats are not events: each one is kept as its instance's latest beat, or dropped when the
database fails (the next beat follows within the interval).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from libs.common.bus import Delivery, Handler
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import HeartbeatSent
from services.stats.metrics import (
    DELIVERIES,
    DELIVERY_LATENCY,
    EVENTS,
    INBOUND_HANDLED,
    LAST_HEARTBEAT,
)
from services.stats.rollup import OUTCOMES
from services.stats.unpack import MalformedEvent, StoredEvent, unpack

log = get_logger(__name__)

# Persists events, returning those not stored before (a redelivery returns none).
Store = Callable[[list[StoredEvent]], Awaitable[list[StoredEvent]]]
# Keeps a heartbeat as its instance's latest.
Beats = Callable[[HeartbeatSent], Awaitable[None]]


def event_handler(
    store: Store | None, *, retry_delay_s: float = 1.0, beats: Beats | None = None
) -> Handler:
    """The ``stats.events`` handler; ``store`` persists events and ``beats`` heartbeats
    (``None``: metrics only).

    While the database fails, messages go back to the queue after ``retry_delay_s`` instead of
    taking the bus's second-failure path to the dead-letter queue: an outage delays the
    statistics, it never drops them.
    """

    async def on_event(delivery: Delivery) -> None:
        message = delivery.message
        key = message.routing_key
        try:
            unpacked = unpack(key, message.body)
        except MalformedEvent:
            # Dead-lettered rather than silently dropped.
            log.warning("malformed_event", routing_key=key, message_id=message.message_id)
            await delivery.reject()
            return
        if unpacked.heartbeat is not None:
            beat = unpacked.heartbeat
            EVENTS.labels("heartbeat").inc()
            LAST_HEARTBEAT.labels(beat.service, beat.instance_id).set(beat.occurred_at.timestamp())
            if beats is not None:
                try:
                    await beats(beat)
                except (SQLAlchemyError, OSError):
                    log.warning("heartbeat_not_stored", service=beat.service, exc_info=True)
            await delivery.ack()
            return
        events = unpacked.events
        if store is not None and events:
            try:
                events = await store(events)
            except (SQLAlchemyError, OSError):
                log.warning("event_store_unavailable", routing_key=key, exc_info=True)
                await asyncio.sleep(retry_delay_s)
                await delivery.nack(requeue=True)
                return
        _count(key, events)
        await delivery.ack()

    return on_event


def _count(key: str, events: list[StoredEvent]) -> None:
    EVENTS.labels(key).inc(len(events))
    if key.startswith("delivery."):
        for event in events:
            _count_delivery(event)
    elif key == "inbound.handled":
        for event in events:
            payload = event.payload
            INBOUND_HANDLED.labels(
                event.account,
                str(payload.get("kind", "")),
                str(payload.get("answer") or "-"),
                str(payload.get("outcome", "")),
            ).inc()


def _count_delivery(event: StoredEvent) -> None:
    payload = event.payload
    status = str(payload.get("status", ""))
    DELIVERIES.labels(event.account, status, str(payload.get("channel") or "-")).inc()
    accepted = payload.get("accepted_at")
    if status in OUTCOMES and isinstance(accepted, str):
        try:
            accepted_at = datetime.fromisoformat(accepted)
        except ValueError:
            return
        if accepted_at.tzinfo is not None:
            seconds = (event.occurred_at - accepted_at).total_seconds()
            DELIVERY_LATENCY.labels(event.account, status).observe(max(0.0, seconds))
