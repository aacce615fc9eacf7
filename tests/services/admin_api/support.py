"""Test helpers for the admin API: the app stack with login helpers, the seeded fixtures and
PostgreSQL database administration."""

from __future__ import annotations

import asyncio
import io
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Delivery
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import (
    Account,
    AdminUser,
    AuthSession,
    MaterialChunk,
    Org,
    Role,
    user_roles,
    utcnow,
)
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import RunningServer
from services.admin_api.app import create_app
from services.admin_api.permissions import ALL_PERMISSIONS
from services.admin_api.security import hash_password
from services.admin_api.state import AdminState
from wxhub.demo.account import seed_demo
from wxhub.demo.admin import USERS, seed_admin_demo

PASSWORDS = {username: password for username, _, _, _, password in USERS}
# TEST passwords of the extra users the fixtures create.
PASSWORDS |= {"sh_super": "sh-super-TEST-1", "noperm": "noperm-TEST-pass-1"}


SECRET_KEY = "admin-api-tests-secret-key"


async def load_ids(session: AsyncSession) -> dict[str, int]:
    """Ids of the seeded objects tests refer to."""
    orgs = {o.code: o.id for o in (await session.scalars(select(Org))).all()}
    roles = {r.code: r.id for r in (await session.scalars(select(Role))).all()}
    accounts = {a.code: a.id for a in (await session.scalars(select(Account))).all()}
    users = {u.username: u.id for u in (await session.scalars(select(AdminUser))).all()}
    return {
        "demo_account": accounts["demo"],
        "bj_account": accounts["bj"],
        "org_hq": orgs["HQ"],
        "org_sh": orgs["SH"],
        "org_bj": orgs["BJ"],
        "bj_role": roles["bj_role"],
        "sh_all_role": roles["sh_all"],
        **{f"user_{name}": uid for name, uid in users.items()},
    }


# Unique per test run: several runs (other engineers, CI jobs) may share the server.
PG_TEMPLATE = f"wxhub_admin_api_tpl_{uuid.uuid4().hex[:10]}"


def pg_database_url(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def pg_admin(postgres_url: str, *statements: str) -> None:
    import asyncpg

    parts = urlsplit(postgres_url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def mint_token(
    sessions: async_sessionmaker[AsyncSession], state: AdminState, username: str
) -> str:
    """An access token for ``username``: a real login session row and a signed JWT, minted
    directly (argon2 verification is slow on purpose; the auth tests log in for real)."""
    async with sessions.begin() as session:
        user_id = await session.scalar(select(AdminUser.id).where(AdminUser.username == username))
        assert user_id is not None, username
        session_id = uuid.uuid4().hex
        session.add(
            AuthSession(
                id=session_id,
                user_id=user_id,
                refresh_hash="-",
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    return state.tokens.issue(user_id, session_id)[0]


@dataclass
class AdminStack:
    """The app under test with its database, sandbox and helpers to log in."""

    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    state: AdminState
    wechat: RunningServer
    ids: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    async def token(self, username: str) -> str:
        """An access token for ``username`` (:func:`mint_token`), minted once per stack."""
        if username not in self._tokens:
            self._tokens[username] = await mint_token(self.sessions, self.state, username)
        return self._tokens[username]

    async def auth(self, username: str) -> dict[str, str]:
        """Authorization header for ``username``."""
        return {"Authorization": f"Bearer {await self.token(username)}"}

    async def call(self, username: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request as ``username``."""
        headers = {**kwargs.pop("headers", {}), **await self.auth(username)}
        return await self.client.request(method, url, headers=headers, **kwargs)

    @property
    def sandbox(self) -> wechat_api.WeChatApiState:
        """The WeChat sandbox's state (read its recorded calls)."""
        return self.wechat_app.state.sandbox  # type: ignore[no-any-return]

    wechat_app: Any = None

    async def stored_chunks(self) -> list[tuple[str, int, int]]:
        """``(storage_key, seq, bytes)`` of every stored material file chunk."""
        async with self.sessions() as session:
            result = await session.execute(
                select(
                    MaterialChunk.storage_key, MaterialChunk.seq, func.length(MaterialChunk.data)
                ).order_by(MaterialChunk.storage_key, MaterialChunk.seq)
            )
            return [(key, seq, size) for key, seq, size in result]


@asynccontextmanager
async def another_instance(stack: AdminStack) -> AsyncIterator[AdminStack]:
    """A second admin API replica: its own engine, state and app on the same database, WeChat
    sandbox and bus (nothing shared in process but what a replica would reach over the network)."""
    engine = make_engine(stack.state.settings.database_url)
    sessions = make_sessionmaker(engine)
    http = httpx.AsyncClient(timeout=10)
    state = AdminState(
        settings=stack.state.settings,
        sessions=sessions,
        secret_box=stack.state.secret_box,
        tokens=stack.state.tokens,
        bus=stack.state.bus,
        http=http,
    )
    transport = httpx.ASGITransport(app=create_app(state))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://admin-b.test") as client:
            other = AdminStack(client=client, sessions=sessions, state=state, wechat=stack.wechat)
            other.ids, other.wechat_app = stack.ids, stack.wechat_app
            yield other
    finally:
        await http.aclose()
        await engine.dispose()


async def seed_fixtures(session: AsyncSession, box: SecretBox) -> dict[str, int]:
    """Demo data plus: a SH user with every permission, a HQ user with none, a BJ-only account."""
    await seed_demo(session, box)
    await seed_admin_demo(session, box)
    orgs = {o.code: o for o in (await session.scalars(select(Org))).all()}
    sh_all = Role(
        code="sh_all", name="SH all", org_id=orgs["SH"].id, permissions=sorted(ALL_PERMISSIONS)
    )
    bj_role = Role(code="bj_role", name="BJ role", org_id=orgs["BJ"].id, permissions=["org.read"])
    session.add_all([sh_all, bj_role])
    await session.flush()
    sh_super = AdminUser(
        username="sh_super",
        org_id=orgs["SH"].id,
        password_hash=hash_password(PASSWORDS["sh_super"]),
    )
    noperm = AdminUser(
        username="noperm", org_id=orgs["HQ"].id, password_hash=hash_password(PASSWORDS["noperm"])
    )
    bj_user = AdminUser(username="bj_user", org_id=orgs["BJ"].id, password_hash="x")
    session.add_all([sh_super, noperm, bj_user])
    await session.flush()
    await session.execute(insert(user_roles).values(user_id=sh_super.id, role_id=sh_all.id))
    bj_account = Account(
        code="bj",
        name="北京分行公众号",
        appid="wxbj0000000000001",
        original_id="gh_bj",
        app_secret_enc=box.encrypt("bj-secret-TEST"),
        token_enc=box.encrypt("bjtoken"),
        org_id=orgs["BJ"].id,
    )
    session.add(bj_account)
    await session.flush()
    return await load_ids(session)


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(rate * seconds))
    return buffer.getvalue()


def mp3_bytes(frames: int) -> bytes:
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames of 1152 samples.
    frame = b"\xff\xfb\x90\x00" + b"\x00" * 413
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * frames


async def queued_messages(
    stack: AdminStack, queue: str, *, polls: int = 50
) -> list[OutboundRequested]:
    """The outbound messages waiting in ``queue`` (consumed for ``polls`` × 10 ms)."""
    received: list[OutboundRequested] = []

    async def handler(delivery: Delivery) -> None:
        received.append(OutboundRequested.from_bytes(delivery.message.body))
        await delivery.ack()

    subscription = await stack.state.bus.consume(queue, handler)
    for _ in range(polls):
        await asyncio.sleep(0.01)
    await subscription.cancel()
    return received


@contextmanager
def scratch_postgres(postgres_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named ``<prefix>_<random>`` next to ``postgres_url``,
    dropped on exit; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_admin(postgres_url, f"CREATE DATABASE {name}"))
    try:
        yield pg_database_url(postgres_url, name)
    finally:
        asyncio.run(pg_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def follower_asks(stack: AdminStack, openid: str, *, account_id: int | None = None) -> int:
    """A follower of the demo account (or ``account_id``) asks for a person, as the engine
    records it; the session's effects are published. Returns the session id."""
    from libs.common.cs import effects, workflow

    async with stack.sessions.begin() as session:
        requested = await workflow.request(
            session,
            account_id=account_id or stack.ids["demo_account"],
            openid=openid,
            group="default",
            now=utcnow(),
            strategy=stack.state.settings.cs_assignment,
            quota=stack.state.settings.cs_window_sends,
        )
    await effects.publish(stack.state.bus, requested.effects)
    return requested.session.id
