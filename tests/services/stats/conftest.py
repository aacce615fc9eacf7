"""A migrated event-store database: SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db import make_engine
from libs.common.db.migrate import upgrade_async
from libs.common.resources import open_resources
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from tests.services.support import SECRET_KEY
from wxhub.scratch_db import fresh_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or the PostgreSQL server's URL (a sync fixture: it may run ``asyncio.run``)."""
    if request.param == "sqlite":
        return "sqlite"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store_db(backend: str, tmp_path: Any) -> AsyncIterator[str]:
    """URL of a freshly migrated database of each backend."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/stats.db"
    else:
        url = await fresh_postgres(backend, f"stats_{uuid.uuid4().hex[:6]}")
    await upgrade_async(url)
    yield url
    if backend != "sqlite":
        await _drop_postgres(url)


async def _drop_postgres(url: str) -> None:
    parts = urlsplit(url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def postgres_store_db(postgres_url: str) -> AsyncIterator[str]:
    """URL of a freshly migrated PostgreSQL database (where only production's pairing matters)."""
    url = await fresh_postgres(postgres_url, f"stats_{uuid.uuid4().hex[:6]}")
    await upgrade_async(url)
    yield url
    await _drop_postgres(url)


@pytest.fixture
async def store_engine(store_db: str) -> AsyncIterator[AsyncEngine]:
    """An engine on :func:`store_db`."""
    engine = make_engine(store_db)
    yield engine
    await engine.dispose()


@pytest.fixture
async def stats(store_db: str) -> AsyncIterator[tuple[StatsService, MemoryBus]]:
    """A running stats service on an in-memory bus, storing into ``store_db``."""
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    settings = StatsSettings(
        database_url=store_db, secret_key=SECRET_KEY, heartbeat_interval_s=3600
    )
    resources = await open_resources(settings, bus=bus, ledger=MemoryCallbackLedger())
    service = StatsService(settings, resources)
    await service.start()
    yield service, bus
    await service.stop()
    await resources.close()
    await bus.close()
