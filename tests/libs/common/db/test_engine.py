"""The PostgreSQL pool without pre-ping: a connection the server closed is replaced at checkout."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import text

from libs.common.db import make_engine, make_sessionmaker
from tests.polling import eventually


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql").geturl()


async def _terminate(url: str, pid: int) -> None:
    admin = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_the_server_closed_is_replaced_at_checkout(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            first_pid = await session.scalar(text("SELECT pg_backend_pid()"))
            raw = await (await session.connection()).get_raw_connection()
            driver = raw.driver_connection
        assert driver is not None
        # As on a PostgreSQL restart: the backend of the pooled connection goes away.
        await _terminate(postgres_url, int(first_pid))
        await eventually(driver.is_closed, timeout=5.0, what="the driver sees the close")

        async with sessions.begin() as session:
            second_pid = await session.scalar(text("SELECT pg_backend_pid()"))
        assert second_pid != first_pid
    finally:
        await engine.dispose()
