"""The admin API on a real database (SQLite file, or PostgreSQL with ``-m postgres``), seeded
with the demo org tree, plus the WeChat API sandbox on loopback."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from libs.common.bus import MemoryBus, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade
from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import serve
from services.admin_api.app import create_app
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings
from services.admin_api.state import AdminState
from tests.services.admin_api.support import (
    PG_TEMPLATE,
    SECRET_KEY,
    AdminStack,
    load_ids,
    pg_admin,
    pg_database_url,
    seed_fixtures,
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("admin_db") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return path


async def _seed(url: str) -> None:
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_fixtures(session, SecretBox(SECRET_KEY))
    await engine.dispose()


@pytest.fixture(scope="session")
def pg_template(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL template database of our own, migrated and seeded once; each test clones it
    (other suites share ``postgres_url``, so we never touch that database)."""
    asyncio.run(
        pg_admin(
            postgres_url,
            f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)",
            f"CREATE DATABASE {PG_TEMPLATE}",
        )
    )
    url = pg_database_url(postgres_url, PG_TEMPLATE)
    upgrade(url)
    asyncio.run(_seed(url))
    yield postgres_url
    asyncio.run(pg_admin(postgres_url, f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a copy of the SQLite template or the cleared PostgreSQL db."""
    if request.param == "sqlite":
        path = tmp_path / "admin.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    postgres_url = request.getfixturevalue("pg_template")
    name = f"wxhub_admin_api_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_admin(postgres_url, f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}"))
    try:
        yield pg_database_url(postgres_url, name)
    finally:
        asyncio.run(pg_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def stack(database_url: str, tmp_path: Path) -> AsyncIterator[AdminStack]:
    """The admin app on the seeded database, the WeChat sandbox serving on loopback."""
    sandbox_app = wechat_api.build_app()
    wechat = await serve(sandbox_app, "127.0.0.1", 0)
    settings = AdminSettings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        wechat_api_base=wechat.url,
        env="test",
        # The test client stands where the load balancer would (its X-Forwarded-For counts).
        trusted_proxies=("127.0.0.0/8",),
    )
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        ids = await load_ids(session)
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    http = httpx.AsyncClient(timeout=10)
    state = AdminState(
        settings=settings,
        sessions=sessions,
        secret_box=box,
        tokens=TokenCodec(SECRET_KEY, 900),
        bus=bus,
        http=http,
    )
    app = create_app(state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        stack = AdminStack(client=client, sessions=sessions, state=state, wechat=wechat, ids=ids)
        stack.wechat_app = sandbox_app
        yield stack
    await http.aclose()
    await bus.close()
    await wechat.stop()
    await engine.dispose()
