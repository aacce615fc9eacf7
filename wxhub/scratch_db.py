"""Scratch PostgreSQL databases for end-to-end tests and benchmarks (dropped and recreated)."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg


async def fresh_postgres(url: str, name: str) -> str:
    """Drop and recreate database ``name`` on the server of ``url``; returns its URL."""
    parts = urlsplit(url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlsplit(url)._replace(path=f"/{name}").geturl()
