"""End-to-end fixtures: an isolated PostgreSQL database and bus namespace per test module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.secret_box import SecretBox
from sandboxes import core_system
from sandboxes.server import RunningServer, serve
from tests.e2e.support import SECRET_KEY, run_on_server
from wxhub.demo.account import seed_demo
from wxhub.processes import ProcessGroup
from wxhub.scratch_bus import delete_namespace


@pytest.fixture
async def e2e_database(postgres_url: str) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database seeded with the demo account."""
    name = f"wxhub_e2e_{uuid.uuid4().hex[:8]}"
    await run_on_server(postgres_url, f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
    await engine.dispose()
    yield url
    await run_on_server(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def e2e_namespace(amqp_url: str) -> AsyncIterator[str]:
    """A bus namespace of its own, deleted afterwards (quorum queues outlive their consumers)."""
    namespace = f"e2e{uuid.uuid4().hex[:8]}."
    yield namespace
    await delete_namespace(amqp_url, namespace)


@pytest.fixture
async def core_sandbox_server() -> AsyncIterator[RunningServer]:
    """The demo core system on a free loopback port."""
    running = await serve(core_system.build_app(), "127.0.0.1", 0)
    yield running
    await running.stop()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[ProcessGroup]:
    """A process group stopped at the end of the test."""
    group = ProcessGroup(env={}, log_dir=tmp_path)
    yield group
    group.stop_all()
