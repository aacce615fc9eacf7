"""Test helpers for the end-to-end tests."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

SECRET_KEY = "e2e-secret-key"


async def wait_ready(*services: object) -> None:
    """Wait for every service's /readyz without blocking the event loop."""
    await asyncio.gather(*(asyncio.to_thread(s.wait_ready) for s in services))  # type: ignore[attr-defined]


async def run_on_server(url: str, sql: str) -> None:
    """Run one statement on the ``postgres`` database of ``url``'s server (CREATE/DROP DATABASE)."""
    parts = urlsplit(url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
