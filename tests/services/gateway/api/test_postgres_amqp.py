"""The notification API on PostgreSQL and RabbitMQ: durable rows, confirmed publishes, races."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from libs.common.bus import DISPATCHER_ALERT, AmqpBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db.models import Notification, NotificationEvent
from libs.common.resources import open_resources
from libs.common.schemas.outbound import OutboundRequested
from libs.common.settings import CommonSettings
from services.gateway.app import GatewayService
from services.gateway.settings import GatewaySettings
from tests.services.gateway.api.support import (
    SECRET_KEY,
    ApiStack,
    SignedClient,
    fetch_all,
    notification,
    seed_database,
    subscribe,
)

pytestmark = [pytest.mark.postgres, pytest.mark.amqp]


async def _admin(url: str) -> asyncpg.Connection:
    parts = urlsplit(url.replace("+asyncpg", ""))
    return await asyncpg.connect(parts._replace(path="/postgres").geturl())


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[str]:
    """A fresh database of our own (other tests share the default one), dropped afterwards."""
    name = f"wxhub_gw_api_{uuid.uuid4().hex[:10]}"
    admin = await _admin(postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = urlsplit(postgres_url)._replace(path=f"/{name}").geturl()
    await seed_database(url)
    yield url
    admin = await _admin(postgres_url)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pg_api(pg_db: str, amqp_url: str) -> AsyncIterator[ApiStack]:
    """The gateway on PostgreSQL and an isolated RabbitMQ namespace."""
    bus = AmqpBus(amqp_url, namespace=f"test-{uuid.uuid4().hex[:10]}", queue_type="quorum")
    await bus.connect()
    topology = default_topology()
    await bus.declare(topology)
    common: dict[str, Any] = {
        "database_url": pg_db,
        "secret_key": SECRET_KEY,
        "heartbeat_interval_s": 3600,
    }
    resources = await open_resources(
        CommonSettings(**common), bus=bus, ledger=MemoryCallbackLedger()
    )
    gateway = GatewayService(GatewaySettings(**common), resources)
    await gateway.start()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app), base_url="http://gw")
    try:
        yield ApiStack(gateway, bus, SignedClient(http), pg_db)
    finally:
        await http.aclose()
        await gateway.notifications.stop()
        await gateway.stop()
        await resources.close()
        await bus.delete(topology)
        await bus.close()


async def test_single_batch_race_and_status_on_postgres_and_rabbitmq(pg_api: ApiStack) -> None:
    alerts = await subscribe(pg_api.bus, DISPATCHER_ALERT)

    single = await pg_api.client.post("/api/v1/notifications", notification())
    assert single.status_code == 202
    raced = await asyncio.gather(
        *(
            pg_api.client.post("/api/v1/notifications", notification(idempotency_key="pg-race"))
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in raced) == [200] * 5 + [202]
    batch = await pg_api.client.post(
        "/api/v1/notifications:batch",
        {"items": [notification(idempotency_key=f"pg-{i}") for i in range(200)]},
    )
    assert batch.json()["accepted"] == 200

    messages = await alerts.wait(202, timeout=20)
    assert len(messages) == 202
    ids = {m.message_id for m in messages}
    assert single.json()["id"] in ids
    assert raced[0].json()["id"] in ids
    assert all(OutboundRequested.from_bytes(m.body).notification_id in ids for m in messages)
    (count,) = await fetch_all(pg_api.db_url, select(func.count()).select_from(Notification))
    assert count[0] == 202
    (events,) = await fetch_all(pg_api.db_url, select(func.count()).select_from(NotificationEvent))
    assert events[0] == 202

    status = await pg_api.client.get(f"/api/v1/notifications/{single.json()['id']}")
    assert status.status_code == 200
    assert status.json()["status"] == "accepted"
    assert status.json()["to"]["openid"] == "oWxhubDemoCustomer0000000001"


async def test_a_nul_in_one_openid_refuses_that_item_not_the_batch(pg_api: ApiStack) -> None:
    items = [
        notification(idempotency_key="nul-0"),
        notification(to={"openid": "oWxhubDemo\x00Customer"}),
        notification(idempotency_key="nul-2"),
    ]
    response = await pg_api.client.post("/api/v1/notifications:batch", {"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["error"]["errors"][0]["loc"] == ["to", "openid"]
    (count,) = await fetch_all(pg_api.db_url, select(func.count()).select_from(Notification))
    assert count[0] == 2
