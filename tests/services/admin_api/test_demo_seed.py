"""The embedded default's admin seed: idempotent, and the demo account is granted to branches."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AccountGrant, AdminUser, Org
from libs.common.secret_box import SecretBox
from wxhub.demo.admin import seed_admin_demo


async def test_seed_is_idempotent_and_grants_demo_account_to_branches(tmp_path: Path) -> None:
    from wxhub.demo.account import seed_demo

    url = f"sqlite+aiosqlite:///{tmp_path / 'seed.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    box = SecretBox("k")
    for _ in range(2):
        async with make_sessionmaker(engine).begin() as session:
            await seed_demo(session, box)
            logins = await seed_admin_demo(session, box)
    async with make_sessionmaker(engine)() as session:
        users = await session.scalar(select(func.count()).select_from(AdminUser))
        orgs = {o.code: o for o in await session.scalars(select(Org))}
        grants = await session.scalar(select(func.count()).select_from(AccountGrant))
    await engine.dispose()
    assert [name for name, _ in logins] == [
        "admin",
        "approver",
        "sh_editor",
        "agent1",
        "agent2",
        "cs_lead",
    ]
    assert all("TEST" in password for _, password in logins)
    assert users == 6
    assert orgs["SH"].path == f"/{orgs['HQ'].id}/{orgs['SH'].id}/"
    assert grants == 2
