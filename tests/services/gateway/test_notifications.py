"""The notifications package below the HTTP edge: config cache, CSV parsing, ids, demo seed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.demo_outbound import DEMO_SYSTEM, seed_outbound_demo
from libs.common.db.models import BusinessSystem, Customer, ReminderType
from libs.common.secret_box import SecretBox
from services.gateway.api.schemas import mask_phone
from services.gateway.notifications.config import ConfigCache, ConfigSnapshot, placeholders
from services.gateway.notifications.jobs import JobOptions, parse_csv, row_item
from services.gateway.notifications.persistence import new_notification_id
from services.gateway.notifications.validation import Rejection
from tests.services.gateway.api.support import SECRET_KEY, seed_database


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await seed_database(url)
    return url


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_config_cache_reloads_after_ttl_and_shares_one_reload(db_url: str) -> None:
    engine = make_engine(db_url)
    clock = FakeClock()
    cache = ConfigCache(make_sessionmaker(engine), SecretBox(SECRET_KEY), ttl_s=5, clock=clock)
    loads = 0
    original = cache._load

    async def counting() -> ConfigSnapshot:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return await original()

    cache._load = counting  # type: ignore[method-assign]
    try:
        first, *_ = await asyncio.gather(*(cache.get() for _ in range(10)))
        assert loads == 1
        assert first.systems[DEMO_SYSTEM.code].secret == DEMO_SYSTEM.secret.encode()
        reminder = first.reminders[first.accounts["demo"].id, "balance_change"]
        assert reminder.wechat_fields == {"account_tail", "time", "amount", "balance"}
        clock.now += 4.9
        await cache.get()
        assert loads == 1
        clock.now += 0.2
        await cache.get()
        assert loads == 2
    finally:
        await engine.dispose()


async def test_config_cache_keeps_the_last_snapshot_when_the_database_fails(db_url: str) -> None:
    engine = make_engine(db_url)
    clock = FakeClock()
    cache = ConfigCache(make_sessionmaker(engine), SecretBox(SECRET_KEY), ttl_s=1, clock=clock)
    try:
        good = await cache.get()

        async def failing() -> ConfigSnapshot:
            raise OSError("database down")

        cache._load = failing  # type: ignore[method-assign]
        clock.now += 2
        assert await cache.get() is good
        cache.invalidate()
        with pytest.raises(OSError, match="database down"):
            await cache.get()
    finally:
        await engine.dispose()


def test_placeholders_finds_named_fields_only() -> None:
    assert placeholders(["{a}元 {b.c} {d[0]} {} {0} {{literal}}", "{e:>5}", "{broken"]) == {
        "a",
        "b",
        "d",
        "e",
    }


def test_notification_ids_are_32_hex_and_time_ordered() -> None:
    ids = [new_notification_id() for _ in range(50)]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 50
    assert [i[:12] for i in ids] == sorted(i[:12] for i in ids)


def test_parse_csv_reads_bom_and_skips_blank_lines() -> None:
    table = parse_csv("\ufeffOpenID, amount \n\no1,5\n,,\n".encode(), max_rows=10)
    assert table.header == ["OpenID", "amount"]
    assert table.rows == [(1, ["o1", "5"])]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff\xfe\x00bad", "bad_encoding"),
        (b"openid\n" + b"o\n" * 11, "too_many_rows"),
    ],
)
def test_parse_csv_refusals(content: bytes, code: str) -> None:
    with pytest.raises(Rejection) as caught:
        parse_csv(content, max_rows=10)
    assert caught.value.code == code


def test_row_item_splits_recipient_and_data_columns() -> None:
    options = JobOptions("demo", "balance_change", priority="bulk", fallback="none")
    item: dict[str, Any] = row_item(
        ["Customer_No", "phone", "amount", ""], [" C1 ", "", "5", "ignored"], options, "job:j:1"
    )
    assert item["to"] == {"customer_no": "C1"}
    assert item["data"] == {"amount": "5"}
    assert (item["priority"], item["fallback"], item["idempotency_key"]) == (
        "bulk",
        "none",
        "job:j:1",
    )
    with pytest.raises(Rejection, match="2 columns"):
        row_item(["openid", "amount", "x"], ["o", "1"], options, "k")


def test_mask_phone() -> None:
    assert mask_phone("13800000001") == "138****0001"
    assert mask_phone("+8613800000001") == "+86*******0001"
    assert mask_phone("12345") == "12345"
    assert mask_phone(None) is None


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
            assert types["balance_change"].name == "余额变动提醒"
            assert types["fund_confirm"].name == "基金申购确认"
            assert all(
                types[t].fallback_allowed and types[t].sms_text for t in types if t != "nav_report"
            )
            customers = await session.scalar(
                select(func.count()).select_from(Customer).where(Customer.customer_no.is_not(None))
            )
            assert customers == 5
    finally:
        await engine.dispose()
