"""The prospects demo seed (one application on the applications page) can run twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import Application
from libs.common.secret_box import SecretBox
from tests.services.gateway.api.support import SECRET_KEY, seed_database
from wxhub.demo.prospects import seed_prospects_demo


async def test_prospects_demo_seed_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await seed_database(url)
    engine = make_engine(url)
    box = SecretBox(SECRET_KEY)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_prospects_demo(session, box)
            await seed_prospects_demo(session, box)
        async with make_sessionmaker(engine)() as session:
            [application] = (await session.scalars(select(Application))).all()
    finally:
        await engine.dispose()
    assert application.status == "submitted"
    assert application.product == "credit_card"
    assert box.decrypt(application.phone_enc) == "13900000021"
