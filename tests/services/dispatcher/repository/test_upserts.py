"""Windows and custom-send records written in one statement each, on SQLite and PostgreSQL: a
renewal resets the window, an event window never shortens a live message window, a custom send's
id is recorded once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, ServiceWindow, utcnow
from services.dispatcher import repository


@pytest.fixture(params=["sqlite", "postgres"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or the test PostgreSQL (a scratch database is made next to it)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
async def sessions(server_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database with one account (id 1)."""
    admin = ""
    url = server_url
    if server_url.startswith("postgresql"):
        name = f"wxhub_upserts_{uuid.uuid4().hex[:8]}"
        admin = urlsplit(server_url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = server_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    async with maker.begin() as session:
        session.add(
            Account(
                id=1,
                code="acc",
                name="账号",
                appid="wxup",
                original_id="gh",
                app_secret_enc="",
                token_enc="",
            )
        )
    yield maker
    await engine.dispose()
    if admin:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _open(
    sessions: async_sessionmaker[AsyncSession], kind: str, length_h: float, quota: int, **at: float
) -> ServiceWindow:
    now = utcnow() + timedelta(**at)
    async with sessions.begin() as session:
        await repository.open_window(
            session,
            account_id=1,
            openid="o1",
            kind=kind,
            now=now,
            duration=timedelta(hours=length_h),
            quota=quota,
        )
    async with sessions() as session:
        window = await session.get(ServiceWindow, (1, "o1"))
    assert window is not None
    return window


async def test_windows_open_renew_and_keep_a_live_message_window(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    opened = await _open(sessions, "message", 48, 5)
    assert (opened.kind, opened.quota, opened.used) == ("message", 5, 0)
    async with sessions.begin() as session:
        assert await repository.use_window(session, account_id=1, openid="o1", now=utcnow())

    # A menu tap (event window) does not shorten the live message window with sends left.
    kept = await _open(sessions, "event", 0.1, 3)
    assert (kept.kind, kept.quota, kept.used) == ("message", 5, 1)
    assert kept.expires_at == opened.expires_at

    # A new text renews it: sends counted afresh.
    renewed = await _open(sessions, "message", 48, 5, seconds=1)
    assert renewed.used == 0
    assert renewed.expires_at > opened.expires_at

    # Once the message window has run out, an event window replaces it.
    replaced = await _open(sessions, "event", 0.1, 3, hours=49)
    assert (replaced.kind, replaced.quota, replaced.used) == ("event", 3, 0)


async def test_a_custom_send_is_recorded_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def start() -> bool:
        async with sessions.begin() as session:
            return await repository.start_custom_send(
                session,
                notification_id="cs1-m1",
                account_id=1,
                origin="cs",
                openid="o1",
                priority="alert",
                now=utcnow(),
            )

    assert await start() is True
    assert await start() is False
