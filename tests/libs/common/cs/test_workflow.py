"""The session workflow on PostgreSQL under concurrency: a cap holds and a follower gets one open
session however many processes assign at once (R-CS-2)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.cs import workflow
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, AdminUser, CsAgent, CsSession, Org, utcnow

pytestmark = pytest.mark.postgres


@pytest.fixture
async def sessions(postgres_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated scratch database with one account and no agents."""
    name = f"wxhub_cs_{uuid.uuid4().hex[:8]}"
    admin = urlsplit(postgres_url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    engine = make_engine(url, pool_size=12)
    maker = make_sessionmaker(engine)
    async with maker.begin() as session:
        session.add(
            Account(
                code="acc",
                name="账号",
                appid="wxcs",
                original_id="gh",
                app_secret_enc="",
                token_enc="",
            )
        )
        session.add(Org(code="HQ", name="总部"))
    yield maker
    await engine.dispose()
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _agent(sessions: async_sessionmaker[AsyncSession], username: str, cap: int) -> int:
    async with sessions.begin() as session:
        org_id = await session.scalar(select(Org.id))
        assert org_id is not None
        user = AdminUser(username=username, password_hash="x", org_id=org_id)
        session.add(user)
        await session.flush()
        session.add(CsAgent(user_id=user.id, status="online", cap=cap))
        return user.id


async def _ask(sessions: async_sessionmaker[AsyncSession], openid: str) -> None:
    async with sessions.begin() as session:
        account_id = await session.scalar(select(Account.id))
        assert account_id is not None
        await workflow.request(
            session,
            account_id=account_id,
            openid=openid,
            group="default",
            now=utcnow(),
            strategy="least_busy",
            quota=5,
        )


async def test_eleven_followers_at_once_and_one_agent_with_cap_ten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    agent = await _agent(sessions, "solo", cap=10)
    await asyncio.gather(*(_ask(sessions, f"oRace{n}") for n in range(11)))
    async with sessions() as session:
        states = dict(
            (
                await session.execute(
                    select(CsSession.state, func.count()).group_by(CsSession.state)
                )
            ).all()
        )
        assigned = await session.scalar(
            select(func.count()).where(CsSession.agent_id == agent, CsSession.state == "assigned")
        )
    assert states == {"assigned": 10, "queued": 1}
    assert assigned == 10


async def test_one_open_session_per_follower_under_concurrent_requests(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await asyncio.gather(*(_ask(sessions, "oTwice") for _ in range(5)))
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(CsSession))
    assert count == 1


async def test_least_busy_and_round_robin_spread_sessions(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await _agent(sessions, "a1", cap=10)
    second = await _agent(sessions, "a2", cap=10)
    for n in range(4):
        await _ask(sessions, f"oSpread{n}")
    async with sessions() as session:
        agents = list(await session.scalars(select(CsSession.agent_id).order_by(CsSession.id)))
    assert agents == [first, second, first, second]
