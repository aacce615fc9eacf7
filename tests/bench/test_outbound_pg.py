"""``bench.outbound --pg-stats``: WAL bytes and SQL statements per notification."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
import pytest

from bench.outbound import PgMeter, pg_per_message


def test_figures_are_the_growth_between_samples_divided_by_messages() -> None:
    figures = pg_per_message((1_000, 40), (9_000, 60), 4)

    assert figures == {"wal_bytes": 2_000.0, "statements": 5.0}


def test_statements_are_unknown_when_either_sample_lacks_them() -> None:
    assert pg_per_message((0, None), (800, None), 8)["statements"] is None
    assert pg_per_message((0, 3), (800, None), 8) == {"wal_bytes": 100.0, "statements": None}


def test_no_message_divides_by_one_not_zero() -> None:
    assert pg_per_message((0, 0), (500, 2), 0) == {"wal_bytes": 500.0, "statements": 2.0}


@pytest.mark.postgres
async def test_the_meter_sees_writes_to_the_database(postgres_url: str) -> None:
    database = urlsplit(postgres_url).path.lstrip("/")
    meter = PgMeter(postgres_url, database)
    await meter.connect()
    conn = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
    try:
        await conn.execute("CREATE TEMP TABLE meter_probe (id int, body text)")
        await meter.reset()
        for i in range(10):
            await conn.execute("INSERT INTO meter_probe VALUES ($1, repeat('x', 500))", i)

        figures = await meter.per_message(10)
    finally:
        await conn.close()
        await meter.close()

    # Temporary tables are not WAL-logged, but each commit is: other writers only add to it.
    assert (figures["wal_bytes"] or 0) > 0
    # pg_stat_statements is optional; where it is installed the ten inserts are counted.
    assert figures["statements"] is None or figures["statements"] >= 1
