"""The scratch database: the demo account with customer service, and the benchmark's agents."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import insert, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AdminUser, CsAgent, Org, Role, user_roles
from libs.common.secret_box import SecretBox
from wxhub.demo.account import seed_demo
from wxhub.demo.admin import seed_admin_demo

SECRET_KEY = "bench-cs-secret-key-not-for-production"
# A TEST password shared by the benchmark's agents (hashed once).
PASSWORD = "bench-agent-TEST-pass-1"


async def prepare_database(url: str, agents: int, cap: int) -> list[str]:
    """Migrate, seed the demo account (customer service on around the clock) and ``agents``
    users with ``cs.agent`` and a seat of ``cap``; returns their usernames."""
    await upgrade_async(url)
    engine = make_engine(url)
    box = SecretBox(SECRET_KEY)
    names = [f"bench_agent{n:02d}" for n in range(1, agents + 1)]
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_demo(session, box)
            await seed_admin_demo(session, box)
            org_id = await session.scalar(select(Org.id).where(Org.code == "HQ"))
            role_id = await session.scalar(select(Role.id).where(Role.code == "cs_agent"))
            assert org_id is not None
            assert role_id is not None
            password_hash = PasswordHasher().hash(PASSWORD)
            users = [
                AdminUser(
                    username=name,
                    display_name=f"坐席{n:02d}",
                    org_id=org_id,
                    password_hash=password_hash,
                )
                for n, name in enumerate(names, 1)
            ]
            session.add_all(users)
            await session.flush()
            await session.execute(
                insert(user_roles), [{"user_id": u.id, "role_id": role_id} for u in users]
            )
            session.add_all(CsAgent(user_id=u.id, cap=cap, groups=["default"]) for u in users)
    finally:
        await engine.dispose()
    return names
