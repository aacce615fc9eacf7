"""The admin API on a real database (SQLite file, or PostgreSQL with ``-m postgres``), seeded
with the demo org tree, plus the WeChat API sandbox on loopback."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import MemoryBus, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade
from libs.common.db.models import Account, AdminUser, AuthSession, Org, Role, user_roles, utcnow
from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import RunningServer, serve
from services.admin_api.app import create_app
from services.admin_api.permissions import ALL_PERMISSIONS
from services.admin_api.security import TokenCodec, hash_password
from services.admin_api.settings import AdminSettings
from services.admin_api.state import AdminState
from wxhub.demo.account import seed_demo
from wxhub.demo.admin import USERS, seed_admin_demo

PASSWORDS = {username: password for username, _, _, _, password in USERS}
# TEST passwords of the extra users the fixtures create.
PASSWORDS |= {"sh_super": "sh-super-TEST-1", "noperm": "noperm-TEST-pass-1"}
SECRET_KEY = "admin-api-tests-secret-key"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("admin_db") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return path


async def _seed(url: str) -> None:
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_fixtures(session, SecretBox(SECRET_KEY))
    await engine.dispose()


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


def _pg_url(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def _pg_admin(postgres_url: str, *statements: str) -> None:
    import asyncpg

    parts = urlsplit(postgres_url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_template(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL template database of our own, migrated and seeded once; each test clones it
    (other suites share ``postgres_url``, so we never touch that database)."""
    asyncio.run(
        _pg_admin(
            postgres_url,
            f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)",
            f"CREATE DATABASE {PG_TEMPLATE}",
        )
    )
    url = _pg_url(postgres_url, PG_TEMPLATE)
    upgrade(url)
    asyncio.run(_seed(url))
    yield postgres_url
    asyncio.run(_pg_admin(postgres_url, f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)"))


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
        """An access token for ``username``: a real login session row and a signed JWT, minted
        directly (argon2 verification is slow on purpose; the auth tests log in for real)."""
        if username not in self._tokens:
            async with self.sessions.begin() as session:
                user_id = await session.scalar(
                    select(AdminUser.id).where(AdminUser.username == username)
                )
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
            self._tokens[username] = self.state.tokens.issue(user_id, session_id)[0]
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a copy of the SQLite template or the cleared PostgreSQL db."""
    if request.param == "sqlite":
        path = tmp_path / "admin.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    postgres_url = request.getfixturevalue("pg_template")
    name = f"wxhub_admin_api_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(postgres_url, f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}"))
    try:
        yield _pg_url(postgres_url, name)
    finally:
        asyncio.run(_pg_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def stack(database_url: str, tmp_path: Path) -> AsyncIterator[AdminStack]:
    """The admin app on the seeded database, the WeChat sandbox serving on loopback."""
    sandbox_app = wechat_api.build_app()
    wechat = await serve(sandbox_app, "127.0.0.1", 0)
    settings = AdminSettings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        wechat_api_base=wechat.url,
        storage_dir=str(tmp_path / "materials"),
        env="test",
        # The test client stands where the load balancer would (its X-Forwarded-For counts).
        trusted_proxies=("127.0.0.0/8",),
    )
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        ids = await load_ids(session)
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    http = httpx.AsyncClient(timeout=10)
    state = AdminState(
        settings=settings,
        sessions=sessions,
        secret_box=box,
        tokens=TokenCodec(SECRET_KEY, 900),
        bus=bus,
        http=http,
    )
    app = create_app(state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as client:
        stack = AdminStack(client=client, sessions=sessions, state=state, wechat=wechat, ids=ids)
        stack.wechat_app = sandbox_app
        yield stack
    await http.aclose()
    await bus.close()
    await wechat.stop()
    await engine.dispose()
