"""The stats service's bus edge: every event on ``wx.events`` is counted."""

from __future__ import annotations

from pydantic import ValidationError

from libs.common.bus import Delivery
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import HeartbeatSent, InboundHandledBatch
from services.stats.metrics import EVENTS, INBOUND_HANDLED, LAST_HEARTBEAT

log = get_logger(__name__)


async def on_event(delivery: Delivery) -> None:
    """Count one event; malformed events are dead-lettered rather than silently dropped."""
    message = delivery.message
    key = message.routing_key
    EVENTS.labels(key.split(".", 1)[0] if key.startswith("heartbeat.") else key).inc()
    try:
        if key.startswith("heartbeat."):
            beat = HeartbeatSent.from_bytes(message.body)
            LAST_HEARTBEAT.labels(beat.service, beat.instance_id).set(beat.occurred_at.timestamp())
        elif key == "inbound.handled":
            for handled in InboundHandledBatch.from_bytes(message.body).items:
                INBOUND_HANDLED.labels(
                    handled.account, handled.kind, handled.answer or "-", handled.outcome
                ).inc()
    except ValidationError:
        log.warning("malformed_event", routing_key=key, message_id=message.message_id)
        await delivery.reject()
        return
    await delivery.ack()
