"""In-process inbound stack: gateway + engine on the MemoryBus, a migrated SQLite demo database and
the core-system sandbox on a real loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import DEFAULT_TTL_S, CallbackLedger, MemoryCallbackLedger
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.resources import Resources, open_resources
from libs.common.secret_box import SecretBox
from libs.common.settings import CommonSettings
from sandboxes import core_system
from sandboxes.server import RunningServer, serve
from sandboxes.wechat_push import CallbackPusher
from services.engine.app import EngineService
from services.engine.settings import EngineSettings
from services.gateway.app import GatewayService
from services.gateway.settings import GatewaySettings
from tests.services.support import SECRET_KEY, InboundStack, stack_settings
from wxhub.demo.account import DEMO, seed_demo


@pytest.fixture
async def demo_db(tmp_path: Any) -> str:
    """A migrated SQLite database holding the demo account."""
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await upgrade_async(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
    await engine.dispose()
    return url


@pytest.fixture
async def core_sandbox() -> AsyncIterator[RunningServer]:
    """The demo core system on a free loopback port."""
    running = await serve(core_system.build_app(), "127.0.0.1", 0)
    yield running
    await running.stop()


@pytest.fixture
async def make_stack(demo_db: str, core_sandbox: RunningServer) -> AsyncIterator[Any]:
    """Factory starting gateway + engine with optional setting overrides."""
    started: list[tuple[GatewayService, EngineService, Resources, httpx.AsyncClient]] = []

    async def start(**overrides: Any) -> InboundStack:
        bus = MemoryBus()
        await bus.connect()
        await bus.declare(default_topology())
        # With a redis_url the ledger is built from it as in production; else in process.
        ledger: CallbackLedger | None = None
        if not overrides.get("redis_url"):
            ledger = MemoryCallbackLedger(overrides.pop("ledger_ttl_s", DEFAULT_TTL_S))
        common = stack_settings(demo_db, f"http://127.0.0.1:{core_sandbox.port}", **overrides)
        resources = await open_resources(CommonSettings(**common), bus=bus, ledger=ledger)
        engine = EngineService(EngineSettings(**common), resources)
        gateway = GatewayService(GatewaySettings(**common), resources)
        await engine.start()
        await gateway.start()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway.app), base_url="http://gateway"
        )
        started.append((gateway, engine, resources, client))
        pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
        return InboundStack(gateway, engine, resources, bus, resources.ledger, client, pusher)

    yield start
    for gateway, engine, resources, client in started:
        await client.aclose()
        await gateway.stop()
        await engine.stop()
        await resources.close()


@pytest.fixture
async def stack(make_stack: Any) -> InboundStack:
    """Gateway + engine with default settings."""
    result: InboundStack = await make_stack()
    return result
