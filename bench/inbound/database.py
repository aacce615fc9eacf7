"""The bench's own scratch database, with the demo account, created and dropped per run."""

from __future__ import annotations

import uuid

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.secret_box import SecretBox
from wxhub.demo.account import seed_demo

SECRET_KEY = "bench-secret-key"


async def prepare_database(admin_url: str) -> str:
    """A fresh database with the demo account."""
    import asyncpg

    name = f"wxhub_bench_{uuid.uuid4().hex[:6]}"
    dsn = admin_url.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
    await engine.dispose()
    return url


async def drop_database(admin_url: str, url: str) -> None:
    import asyncpg

    dsn = admin_url.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()
