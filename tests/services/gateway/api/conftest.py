"""The gateway on the MemoryBus and a migrated, seeded SQLite database."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.resources import Resources, open_resources
from libs.common.settings import CommonSettings
from services.gateway.app import GatewayService
from services.gateway.settings import GatewaySettings
from tests.services.gateway.api.support import (
    SECRET_KEY,
    ApiStack,
    MakeApi,
    SignedClient,
    seed_database,
)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once per session; each test gets a copy (migrations are slow)."""
    path = tmp_path_factory.mktemp("api-template") / "wxhub.db"
    asyncio.run(seed_database(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def api_db(seeded_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database with the demo account, systems and reminder types."""
    path = tmp_path / "wxhub.db"
    shutil.copyfile(seeded_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def make_api(api_db: str) -> AsyncIterator[MakeApi]:
    """Factory: the gateway (with setting overrides) over ASGI, publishing on a MemoryBus."""
    started: list[tuple[GatewayService, Resources, httpx.AsyncClient, MemoryBus]] = []

    async def start(**overrides: Any) -> ApiStack:
        bus = MemoryBus()
        await bus.declare(default_topology())
        common: dict[str, Any] = {
            "database_url": api_db,
            "secret_key": SECRET_KEY,
            "heartbeat_interval_s": 3600,
        }
        resources = await open_resources(
            CommonSettings(**common), bus=bus, ledger=MemoryCallbackLedger()
        )
        gateway = GatewayService(GatewaySettings(**{**common, **overrides}), resources)
        await gateway.start()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway.app), base_url="http://gateway"
        )
        started.append((gateway, resources, http, bus))
        return ApiStack(gateway, bus, SignedClient(http), api_db)

    yield start
    for gateway, resources, http, bus in started:
        await http.aclose()
        await gateway.stop()
        await resources.close()
        await bus.close()


@pytest.fixture
async def api(make_api: MakeApi) -> ApiStack:
    """The gateway with default settings."""
    return await make_api()
