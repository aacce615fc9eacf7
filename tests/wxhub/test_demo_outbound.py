"""The outbound demo seed (business system, reminder types, customers) can run twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import BusinessSystem, Customer, ReminderType
from libs.common.secret_box import SecretBox
from tests.services.gateway.api.support import SECRET_KEY, seed_database
from wxhub.demo.outbound import DEMO_SYSTEM, seed_outbound_demo


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    """A migrated SQLite database with the demo data."""
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await seed_database(url)
    return url


async def test_outbound_demo_seed_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    box = SecretBox(SECRET_KEY)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_outbound_demo(session, box)
            await seed_outbound_demo(session, box)
        async with make_sessionmaker(engine)() as session:
            systems = (await session.scalars(select(BusinessSystem))).all()
            demo = [s for s in systems if s.code == DEMO_SYSTEM.code]
            assert len(demo) == 1
            assert box.decrypt(demo[0].secret_enc) == "demo-core-secret-not-real"
            types = {t.event_type: t for t in (await session.scalars(select(ReminderType))).all()}
            assert types["balance_change"].name == "交易账户资金变动提醒"
            assert types["fund_confirm"].name == "基金申购确认"
            assert all(
                types[t].fallback_allowed and types[t].sms_text for t in types if t != "nav_report"
            )
            customers = await session.scalar(
                select(func.count())
                .select_from(Customer)
                .where(Customer.customer_no_enc.is_not(None))
            )
            assert customers == 5
    finally:
        await engine.dispose()
