"""Migration 0003 (admin tables): upgrade, downgrade to 0002, upgrade again, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from libs.common.db import make_engine
from libs.common.db.migrate import alembic_config, upgrade
from tests.services.admin_api.support import scratch_postgres

ADMIN_TABLES = {
    "orgs",
    "admin_users",
    "roles",
    "audit_log",
    "menus",
    "materials",
    "publications",
    "mass_quota_ledger",
    "config_versions",
    "customer_profiles",
}


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


def _round_trip(url: str) -> None:
    upgrade(url)
    assert asyncio.run(_tables(url)) >= ADMIN_TABLES
    command.downgrade(alembic_config(url), "0002")
    assert not ADMIN_TABLES & asyncio.run(_tables(url))
    assert "accounts" in asyncio.run(_tables(url))
    upgrade(url)
    assert asyncio.run(_tables(url)) >= ADMIN_TABLES


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_round_trip_postgres(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, "wxhub_admin_mig") as url:
        _round_trip(url)
