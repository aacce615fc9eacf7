"""The stats service on RabbitMQ and PostgreSQL: a restart mid-stream counts nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from libs.common.bus import EVENTS, AmqpBus
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db.models import ROLLUP_TABLES, StatsEvent
from libs.common.resources import Resources, open_resources
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from tests.polling import eventually
from tests.services.stats.events import delivered_batch
from tests.services.support import SECRET_KEY
from wxhub.scratch_bus import delete_namespace


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    name = f"stats{uuid.uuid4().hex[:8]}"
    yield name
    await delete_namespace(amqp_url, name)


async def _start(amqp_url: str, namespace: str, database_url: str) -> StatsService:
    settings = StatsSettings(
        database_url=database_url,
        amqp_url=amqp_url,
        bus_namespace=namespace,
        secret_key=SECRET_KEY,
        heartbeat_interval_s=3600,
    )
    resources = await open_resources(settings, ledger=MemoryCallbackLedger())
    service = StatsService(settings, resources)
    await service.start()
    return service


async def _stop(service: StatsService) -> None:
    await service.stop()
    await service.resources.close()


async def _totals(resources: Resources) -> tuple[int, int]:
    table = ROLLUP_TABLES["day"]
    async with resources.sessions() as session:
        raw = await session.scalar(select(func.count()).select_from(StatsEvent))
        rolled = (await session.execute(select(func.coalesce(func.sum(table.c.count), 0)))).scalar()
    return int(raw or 0), int(rolled or 0)


@pytest.mark.amqp
@pytest.mark.postgres
async def test_redelivered_and_republished_batches_count_once(
    amqp_url: str, namespace: str, postgres_store_db: str
) -> None:
    store_db = postgres_store_db
    service = await _start(amqp_url, namespace, store_db)
    bodies = [delivered_batch(50).to_bytes() for _ in range(40)]
    publisher = AmqpBus(amqp_url, namespace=namespace)
    await publisher.connect()
    try:
        for body in bodies[:20]:
            await publisher.publish(EVENTS, "delivery.delivered", body)
        await _stop(service)  # mid-stream: what was not acked comes back to the next worker
        for body in bodies[20:] + bodies[:10]:  # ten batches published a second time
            await publisher.publish(EVENTS, "delivery.delivered", body)
        service = await _start(amqp_url, namespace, store_db)
        await eventually(lambda: _totals(service.resources), what="stored", timeout=30)
        expected = (2000, 2000)
        assert await eventually(
            lambda: _totals_equal(service.resources, expected), what="exact totals", timeout=30
        )
    finally:
        await publisher.close()
        await _stop(service)


async def _totals_equal(resources: Resources, expected: tuple[int, int]) -> bool:
    return await _totals(resources) == expected
