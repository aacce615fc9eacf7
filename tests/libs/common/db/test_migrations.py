"""Migrations run on SQLite and PostgreSQL and match the models exactly (R-OPS-4)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from libs.common.db import make_engine
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Base


async def _diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, Base.metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_sqlite_upgrade_creates_every_model_table(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    await upgrade_async(url)
    await upgrade_async(url)  # idempotent
    assert set(Base.metadata.tables) <= await _tables(url)
    assert await _diff(url) == []


async def test_sqlite_upgrade_creates_the_missing_folder(tmp_path: Any) -> None:
    # A fresh clone has no var/: migrating must create the file's folder, however deep.
    url = f"sqlite+aiosqlite:///{tmp_path}/not/yet/there/wxhub.db"
    await upgrade_async(url)
    assert (tmp_path / "not" / "yet" / "there" / "wxhub.db").is_file()
    assert set(Base.metadata.tables) <= await _tables(url)


@pytest.fixture
async def scratch_postgres(postgres_url: str) -> AsyncIterator[str]:
    name = f"wxhub_mig_{uuid.uuid4().hex[:8]}"
    admin = urlsplit(postgres_url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.mark.postgres
async def test_postgres_upgrade_matches_the_models(scratch_postgres: str) -> None:
    await upgrade_async(scratch_postgres)
    assert set(Base.metadata.tables) <= await _tables(scratch_postgres)
    assert await _diff(scratch_postgres) == []


@pytest.mark.postgres
async def test_concurrent_postgres_upgrades_take_turns(scratch_postgres: str) -> None:
    # Every replica's init container runs `wxhub migrate` at once on a rollout.
    await asyncio.gather(*(upgrade_async(scratch_postgres) for _ in range(3)))
    assert await _diff(scratch_postgres) == []
    conn = await asyncpg.connect(scratch_postgres.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1
        # The lock went with the migrating sessions.
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert held == 0
    finally:
        await conn.close()
