"""Daily caps per customer and operation (R-EN-10) on the pages: identity checks and code sends
beyond the day's cap are refused with a page saying so, and are not carried out."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, BindingFailure, OperationCount, PhoneCode
from libs.common.operation_limits import counting_day
from libs.common.secret_box import SecretBox
from sandboxes import sms as sms_sandbox
from sandboxes.server import RunningServer
from services.gateway.h5.limits import DailyLimits
from tests.services.gateway.support import BASE, h5_browser, open_linked_page
from tests.services.support import SECRET_KEY, InboundStack
from wxhub.demo.account import seed_demo
from wxhub.scratch_db import fresh_postgres

_ids = itertools.count(7_600_000_000_000_000_000)
WRONG = {
    "id_number": "310101198506150024",
    "card_no": "6217000000000054321",
    "password": "000000",
}


@pytest.fixture
async def h5(make_stack: Any, sms: tuple[sms_sandbox.SmsState, RunningServer]) -> InboundStack:
    stack: InboundStack = await make_stack(
        h5_base_url=BASE,
        sms_url=f"{sms[1].url}/send",
        operation_daily_limits={"bind_attempt": 2, "code_send": 10},
    )
    return stack


async def _page(
    stack: InboundStack, browser: httpx.AsyncClient, openid: str, command: str
) -> dict[str, str]:
    page = await open_linked_page(stack, browser, openid, command, msg_id=next(_ids))
    assert page.response.status_code == 200, page.response.text
    return page.hidden


async def _count(stack: InboundStack, model: Any) -> int:
    async with stack.resources.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_identity_checks_beyond_the_daily_cap_are_refused(h5: InboundStack) -> None:
    async with h5_browser(h5) as browser:
        hidden = await _page(h5, browser, "oCapped", "绑定")
        for _ in range(2):
            wrong = await browser.post("/h5/bind", data={**hidden, **WRONG})
            assert wrong.status_code == 422
        capped = await browser.post("/h5/bind", data={**hidden, **WRONG})
        assert capped.status_code == 429
        assert "身份验证次数已达上限（2 次），请明天再试" in capped.text
        # Another follower has a cap of their own.
        other = await _page(h5, browser, "oNotCapped", "绑定")
        assert (await browser.post("/h5/bind", data={**other, **WRONG})).status_code == 422
    # The refused check never reached the core system (no third failure counted).
    async with h5.resources.sessions() as session:
        failures = await session.scalar(
            select(func.count())
            .select_from(BindingFailure)
            .where(BindingFailure.openid == "oCapped")
        )
    assert failures == 2

    # Tomorrow the count starts again (yesterday's row no longer counts).
    async with h5.resources.sessions.begin() as session:
        await session.execute(update(OperationCount).values(day=counting_day() - timedelta(days=1)))
    async with h5_browser(h5) as browser:
        hidden = await _page(h5, browser, "oCapped", "绑定")
        assert (await browser.post("/h5/bind", data={**hidden, **WRONG})).status_code == 422


async def test_an_accounts_own_cap_limits_code_sends(
    h5: InboundStack, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    async with h5.resources.sessions.begin() as session:
        await session.execute(update(Account).values(operation_limits={"code_send": 1}))
    async with h5_browser(h5) as browser:
        hidden = await _page(h5, browser, "oCodes", "绑定手机")
        send = {**hidden, "action": "send", "phone": "13912345678"}
        assert (await browser.post("/h5/phone", data=send)).status_code == 200
        # Past the resend interval, but over the account's cap of one code a day.
        async with h5.resources.sessions.begin() as session:
            await session.execute(
                update(PhoneCode).values(sent_at=datetime.now(UTC) - timedelta(seconds=120))
            )
        capped = await browser.post("/h5/phone", data=send)
        assert capped.status_code == 429
        assert "获取短信验证码次数已达上限（1 次）" in capped.text
    assert len(state.messages) == 1
    assert await _count(h5, OperationCount) == 1


async def _prepare(url: str) -> None:
    await upgrade_async(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def limit_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A migrated database with the demo account, on each dialect the upsert is written for."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/limits.db"
    else:
        url = asyncio.run(fresh_postgres(request.getfixturevalue("postgres_url"), "h5_limits"))
    asyncio.run(_prepare(url))
    return url


async def test_concurrent_takes_never_exceed_the_cap(limit_db: str) -> None:
    engine = make_engine(limit_db)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            account_id = await session.scalar(select(Account.id))
        assert account_id is not None
        limits = DailyLimits(sessions, {"bind_attempt": 5, "code_send": 5})
        outcomes = await asyncio.gather(
            *(limits.take(account_id, "oRace", "code_send") for _ in range(12))
        )
        refused = [o for o in outcomes if o is not None]
        assert len(refused) == 7
        assert {(o.operation, o.limit, o.label) for o in refused} == {
            ("code_send", 5, "获取短信验证码")
        }
        async with sessions() as session:
            counted = await session.scalar(select(OperationCount.count))
        assert counted == 5
        assert await limits.take(account_id, "oRace", "bind_attempt") is None
    finally:
        await engine.dispose()
