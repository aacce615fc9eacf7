"""Scratch PostgreSQL databases for end-to-end tests and benchmarks (dropped and recreated)."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg


async def fresh_postgres(url: str, suffix: str) -> str:
    """Drop and recreate the scratch database ``<database of url>_<suffix>``; returns its URL.

    Named after the database ``url`` points at, so runs configured with databases of their own
    (parallel test runs, a benchmark next to the tests) never share a scratch database.
    """
    parts = urlsplit(url.replace("+asyncpg", ""))
    name = f"{parts.path.lstrip('/')}_{suffix}"[:63]  # PostgreSQL's identifier limit
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlsplit(url)._replace(path=f"/{name}").geturl()
