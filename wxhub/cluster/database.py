"""The cluster's own PostgreSQL database, created on the local server when it is missing."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg


async def ensure_database(url: str) -> None:
    """Create the cluster's database when it does not exist yet."""
    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
