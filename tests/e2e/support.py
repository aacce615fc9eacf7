"""Test helpers for the end-to-end tests."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

SECRET_KEY = "e2e-secret-key"


def platform_env(
    *,
    database_url: str,
    amqp_url: str,
    redis_url: str,
    namespace: str,
    core_url: str,
    **settings: str,
) -> dict[str, str]:
    """The environment of the platform's processes in an end-to-end test: test mode, this
    test's database, broker namespace, Redis and core sandbox, and the key the demo data was
    sealed with; further ``WXHUB_*`` settings as keyword arguments."""
    return {
        "WXHUB_ENV": "test",
        "WXHUB_DATABASE_URL": database_url,
        "WXHUB_AMQP_URL": amqp_url,
        "WXHUB_REDIS_URL": redis_url,
        "WXHUB_BUS_NAMESPACE": namespace,
        "WXHUB_SECRET_KEY": SECRET_KEY,
        "WXHUB_CORE_URL": core_url,
        **settings,
    }


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
