"""Accepted notifications that never reached the bus are republished by the sweeper (R-PERF-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from libs.common.bus import DISPATCHER_ALERT
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import Notification, NotificationEvent
from libs.common.schemas.outbound import OutboundRequested
from tests.services.gateway.api.support import (
    ApiStack,
    MakeApi,
    fetch_all,
    notification,
    subscribe,
)

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


async def test_retry_of_a_row_its_gateway_never_published_publishes_it(api: ApiStack) -> None:
    # A gateway that died between the commit and the publish leaves the row ``accepted``,
    # unflagged, with no message on the bus.
    await api.bus.close()
    failed = await api.client.post(URL, notification(idempotency_key="crash-1"))
    notification_id = failed.json()["id"]
    stored_at = datetime.now(UTC) - timedelta(seconds=5)
    await _run(
        api.db_url,
        update(Notification)
        .where(Notification.id == notification_id)
        .values(reason=None, updated_at=stored_at),
    )
    await api.bus.connect()
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)

    retried = await api.client.post(URL, notification(idempotency_key="crash-1"))

    assert retried.status_code == 200
    assert retried.json()["id"] == notification_id
    (message,) = await alerts.wait(1)
    assert OutboundRequested.from_bytes(message.body).notification_id == notification_id


async def test_a_sweep_pages_through_the_whole_backlog(make_api: MakeApi) -> None:
    api = await make_api(republish_batch=2)
    await api.bus.close()
    ids = [
        (await api.client.post(URL, notification(idempotency_key=f"backlog-{i}"))).json()["id"]
        for i in range(5)
    ]
    quiet_since = datetime.now(UTC) - timedelta(minutes=5)
    await _run(api.db_url, update(Notification).values(reason=None, updated_at=quiet_since))
    await api.bus.connect()
    alerts = await subscribe(api.bus, DISPATCHER_ALERT)

    assert await api.gateway.notifications.sweeper.sweep() == 5

    messages = await alerts.wait(5)
    published = {OutboundRequested.from_bytes(m.body).notification_id for m in messages}
    assert published == set(ids)


async def _run(db_url: str, statement: Any) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(statement)
    finally:
        await engine.dispose()
