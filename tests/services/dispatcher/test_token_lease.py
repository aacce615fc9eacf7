"""Shared access tokens (R-OUT-5): two dispatcher replicas, one refresh per expiry period."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.demo import DEMO, seed_demo
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AccessToken, Account
from libs.common.secret_box import SecretBox
from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.client import WeChatClient
from sandboxes import wechat_api
from sandboxes.server import serve
from services.dispatcher.token_lease import TokenLease
from tests.services.dispatcher.conftest import fresh_postgres


async def _replicas(url: str, base: str, http: httpx.AsyncClient, n: int = 2) -> list[TokenLease]:
    box = SecretBox("test-key")
    leases = []
    for i in range(n):
        engine = make_engine(url)  # one engine per replica, as in separate processes
        sessions = make_sessionmaker(engine)
        if i == 0:
            async with sessions.begin() as session:
                await seed_demo(session, box)
        async with sessions() as session:
            account = await session.scalar(select(Account).where(Account.code == DEMO.code))
            assert account is not None
        leases.append(
            TokenLease(
                sessions,
                http,
                account_id=account.id,
                appid=DEMO.appid,
                secret=DEMO.app_secret,
                api_base=base,
                owner=f"replica-{i}",
                margin_s=1.0,
                lease_s=5.0,
            )
        )
    return leases


async def _exercise(
    leases: list[TokenLease], http: httpx.AsyncClient, base: str, seconds: float
) -> int:
    """Many workers per replica send custom messages for ``seconds``; returns the sends."""
    apis = [MessageApi(WeChatClient(http, base_url=base, tokens=lease)) for lease in leases]
    stop = time.monotonic() + seconds
    sent = 0

    async def worker(api: MessageApi) -> None:
        nonlocal sent
        while time.monotonic() < stop:
            await api.send_custom("o-user", {"msgtype": "text", "text": {"content": "hi"}})
            sent += 1
            await asyncio.sleep(0.01)

    await asyncio.gather(*(worker(api) for api in apis for _ in range(10)))
    return sent


@pytest.mark.postgres
async def test_two_replicas_refresh_once_per_expiry_period(postgres_url: str) -> None:
    url = await fresh_postgres(postgres_url, "wxhub_test_dispatcher_lease")
    await upgrade_async(url)
    # Tokens live 3 s and rotate in their last second; replicas refresh 1 s before expiry.
    state = wechat_api.WeChatApiState(token_lifetime_s=3.0, stable_rotate_s=1.0)
    server = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    async with httpx.AsyncClient() as http:
        leases = await _replicas(url, server.url, http)
        try:
            sent = await _exercise(leases, http, server.url, 7.0)
            issued = state.tokens_issued[DEMO.appid, "stable"]
            calls = len(state.calls.find("/cgi-bin/stable_token"))
            # One issuance at start, then one per 2 s period (3 s life − 1 s margin): 4 in 7 s.
            assert 3 <= issued <= 5, issued
            assert calls <= issued + 1, calls
            outcomes = {c.outcome for c in state.calls.find("/cgi-bin/message/custom/send")}
            assert outcomes == {"0"}, outcomes
            assert sent > 500

            # Expiry behind our back (42001): both replicas hit it, one refresh follows.
            before = state.tokens_issued[DEMO.appid, "stable"]
            state.expire_tokens()
            await _exercise(leases, http, server.url, 0.5)
            assert state.tokens_issued[DEMO.appid, "stable"] == before + 1
            engine = make_engine(url)
            async with make_sessionmaker(engine)() as session:
                row = await session.scalar(select(AccessToken))
                assert row is not None
                assert row.lease_owner is None
                assert row.generation == state.tokens_issued[DEMO.appid, "stable"]
            await engine.dispose()
        finally:
            for lease in leases:
                await lease._sessions.kw["bind"].dispose()
            await server.stop()


async def test_invalidate_is_compare_and_set(db_url: str) -> None:
    state = wechat_api.WeChatApiState()
    server = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    async with httpx.AsyncClient() as http:
        engine = make_engine(db_url)
        try:
            [lease] = await _replicas(db_url, server.url, http, n=1)
            token = await lease.get()
            await lease.invalidate("some-older-token")
            assert await lease.get() == token
            async with make_sessionmaker(engine)() as session:
                row = await session.scalar(select(AccessToken))
                assert row is not None
                assert row.token == token
            await lease.invalidate(token)
            async with make_sessionmaker(engine)() as session:
                row = await session.scalar(select(AccessToken))
                assert row is not None
                assert row.token is None
        finally:
            await engine.dispose()
            await lease._sessions.kw["bind"].dispose()
            await server.stop()
