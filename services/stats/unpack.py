"""Turn one message of ``wx.events`` into the events it carries (a batch carries many).

Every batch type is unpacked into its items, so counts are per event, never per message. Each
item keeps its own ``message_id``: that id is what makes storing idempotent, since a redelivered
batch carries the same items with the same ids. Heartbeats are liveness, not events: they are
returned separately and never stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from libs.common.schemas._envelope import Envelope
from libs.common.schemas.events import (
    DeliveryStatusChangedBatch,
    HeartbeatSent,
    InboundHandledBatch,
)

# Routing key prefix → the batch schema published under it.
BATCH_SCHEMAS: dict[str, type[InboundHandledBatch] | type[DeliveryStatusChangedBatch]] = {
    "inbound.handled": InboundHandledBatch,
    "delivery.": DeliveryStatusChangedBatch,
}


class MalformedEvent(ValueError):
    """The message does not match the schema its routing key promises."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as the store keeps it."""

    id: str
    occurred_at: datetime
    event: str
    account: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Unpacked:
    """What one message carried: events to store, or a heartbeat."""

    events: list[StoredEvent]
    heartbeat: HeartbeatSent | None = None


def unpack(routing_key: str, body: bytes) -> Unpacked:
    """The events in ``body``; raises :class:`MalformedEvent` on input that does not validate."""
    try:
        if routing_key.startswith("heartbeat."):
            return Unpacked([], HeartbeatSent.from_bytes(body))
        data = json.loads(body)
        schema = _batch_schema(routing_key)
        if schema is not None:
            batch = schema.model_validate(data)
            # Validated above; stored as sent (cheaper than dumping every model back to JSON).
            raw_items: list[dict[str, Any]] = data["items"]
            return Unpacked(
                [
                    _stored(routing_key, item, raw)
                    for item, raw in zip(batch.items, raw_items, strict=True)
                ]
            )
        # An event type without a batch form: stored as it is.
        return Unpacked([_stored(routing_key, Envelope.model_validate(data), data)])
    except (ValidationError, ValueError) as exc:
        raise MalformedEvent(f"{routing_key}: {exc}"[:500]) from exc


def _batch_schema(
    routing_key: str,
) -> type[InboundHandledBatch] | type[DeliveryStatusChangedBatch] | None:
    for prefix, schema in BATCH_SCHEMAS.items():
        if routing_key == prefix or (prefix.endswith(".") and routing_key.startswith(prefix)):
            return schema
    return None


def _stored(routing_key: str, item: Envelope, payload: dict[str, Any]) -> StoredEvent:
    # In UTC: day partitions and day rollups are UTC days, whatever zone the publisher wrote.
    occurred_at = item.occurred_at
    occurred_at = (
        occurred_at.replace(tzinfo=UTC)
        if occurred_at.tzinfo is None
        else occurred_at.astimezone(UTC)
    )
    # Without an id of its own the event gets one from its content, so that a redelivery
    # (same bytes) is still recognised; the envelope's default would be random each time.
    event_id = item.message_id if "message_id" in payload else _content_id(routing_key, payload)
    return StoredEvent(
        id=event_id[:32],
        occurred_at=occurred_at,
        event=routing_key[:64],
        account=str(payload.get("account", ""))[:64],
        payload=payload,
    )


def _content_id(routing_key: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps([routing_key, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
