"""``delivery.<status>`` events on ``wx.events``, published after the status is durable.

They go out as one ``DeliveryStatusChangedBatch`` per status and interval through the shared
:class:`libs.common.bus.batcher.EventBatcher` (``sending`` first, so a consumer sees it before
the outcome); the database stays the record.
"""

from __future__ import annotations

from libs.common.bus import EVENTS, Bus
from libs.common.bus.batcher import EventBatcher
from libs.common.schemas.events import DeliveryStatusChanged, DeliveryStatusChangedBatch
from services.dispatcher.accounts import AccountInfo
from services.dispatcher.repository import Claimed

StatusEvents = EventBatcher[DeliveryStatusChanged, DeliveryStatusChangedBatch]
_STATUS_ORDER = ("sending", "delivered", "fallback_sent", "suppressed", "failed")


def status_events(bus: Bus, *, interval_s: float = 0.2, max_items: int = 1000) -> StatusEvents:
    """Batches ``delivery.<status>`` events, one batch per status, ``sending`` first."""
    return EventBatcher(
        bus,
        EVENTS,
        lambda event: f"delivery.{event.status}",
        lambda items: DeliveryStatusChangedBatch(items=items),
        interval_s=interval_s,
        max_items=max_items,
        key_order=[f"delivery.{status}" for status in _STATUS_ORDER],
    )


class StatusPublisher:
    """Queues the status changes of notifications for the next event batch."""

    def __init__(self, bus: Bus, *, interval_s: float) -> None:
        self._events = status_events(bus, interval_s=interval_s)

    async def start(self) -> None:
        """Start publishing batches."""
        await self._events.start()

    async def stop(self) -> None:
        """Publish what is still queued."""
        await self._events.stop()

    def changed(
        self,
        claimed: Claimed,
        account: AccountInfo,
        status: str,
        *,
        previous: str | None,
        channel: str | None = None,
        reason: str | None = None,
        reason_code: str | None = None,
        errcode: int | None = None,
    ) -> None:
        """Queue the ``delivery.<status>`` event (the status is already durable)."""
        self._events.add(
            DeliveryStatusChanged(
                correlation_id=claimed.id,
                notification_id=claimed.id,
                account=account.code,
                status=status,
                previous=previous,
                channel=channel,
                reason=reason,
                reason_code=reason_code,
                errcode=errcode,
                priority=claimed.priority,
                accepted_at=claimed.created_at,
                event_type=claimed.event_type,
            )
        )
