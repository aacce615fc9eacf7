"""Accepted notifications that never reached the bus are republished by the sweeper (R-PERF-3)."""

from __future__ import annotations

from sqlalchemy import select

from libs.common.bus import DISPATCHER_ALERT
from libs.common.db.models import Notification, NotificationEvent
from libs.common.schemas.outbound import OutboundRequested
from tests.services.gateway.api.support import ApiStack, fetch_all, notification, subscribe

URL = "/api/v1/notifications"


async def test_notification_whose_publish_failed_is_republished_once_the_bus_is_back(
    api: ApiStack,
) -> None:
    await api.bus.close()
    failed = await api.client.post(URL, notification(idempotency_key="sweep-1"))
    assert failed.status_code == 503
    notification_id = failed.json()["id"]

    await api.bus.connect()
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)
    assert await api.gateway.notifications.sweeper.sweep() == 1
    (message,) = await alerts.wait(1)
    assert OutboundRequested.from_bytes(message.body).notification_id == notification_id

    (row,) = await fetch_all(
        api.db_url,
        select(Notification.status, Notification.reason).where(Notification.id == notification_id),
    )
    assert tuple(row) == ("accepted", None)
    details = [
        r.detail
        for r in await fetch_all(
            api.db_url,
            select(NotificationEvent.detail).where(
                NotificationEvent.notification_id == notification_id
            ),
        )
    ]
    assert "republished" in details
    assert await api.gateway.notifications.sweeper.sweep() == 0


async def test_fresh_published_notifications_are_left_alone(api: ApiStack) -> None:
    accepted = await api.client.post(URL, notification(idempotency_key="sweep-2"))
    assert accepted.status_code == 202
    assert await api.gateway.notifications.sweeper.sweep() == 0
