"""Migration 0005 (saved audiences, hand-overs, publications.saved_audience_id): upgrade,
downgrade to its parent, upgrade again, on both backends."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from libs.common.db import make_engine
from libs.common.db.migrate import alembic_config, upgrade
from tests.services.admin_api.support import scratch_postgres

PARENT = importlib.import_module(
    "libs.common.db.migrations.versions.0005_admin_audiences"
).down_revision


async def _schema(url: str) -> tuple[set[str], set[str]]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        tables, columns = await conn.run_sync(
            lambda c: (
                set(inspect(c).get_table_names()),
                {col["name"] for col in inspect(c).get_columns("publications")},
            )
        )
    await engine.dispose()
    return tables, columns


def _round_trip(url: str) -> None:
    upgrade(url)
    tables, columns = asyncio.run(_schema(url))
    assert {"saved_audiences", "customer_handovers"} <= tables
    assert "saved_audience_id" in columns
    command.downgrade(alembic_config(url), PARENT)
    tables, columns = asyncio.run(_schema(url))
    assert not {"saved_audiences", "customer_handovers"} & tables
    assert "saved_audience_id" not in columns
    assert "publications" in tables
    upgrade(url)
    assert "saved_audiences" in asyncio.run(_schema(url))[0]


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_round_trip_postgres(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, "wxhub_admin_mig5") as url:
        _round_trip(url)
