"""Every follower who interacts becomes a customer row; ``last_interaction_at`` follows them,
written in batches off the reply path."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, Customer
from libs.common.secret_box import SecretBox
from services.engine.interactions import InteractionBook
from tests.polling import eventually
from tests.services.admin_api.support import scratch_postgres
from tests.services.support import SECRET_KEY, InboundStack
from wxhub.demo.account import DEMO, seed_demo

_msg_ids = itertools.count(8_300_000_000_000_000_000)


async def _customer(stack: InboundStack, openid: str) -> Customer | None:
    async with stack.resources.sessions() as session:
        return await session.scalar(select(Customer).where(Customer.openid == openid))


async def _say(stack: InboundStack, openid: str, text: str, at: int) -> None:
    xml = stack.pusher.text(openid, text, msg_id=next(_msg_ids), create_time=at)
    response = await stack.post(xml)
    assert response.status_code == 200


async def test_a_follower_who_writes_becomes_a_customer_when_the_batch_is_flushed(
    make_stack: Any,
) -> None:
    stack = await make_stack(interaction_flush_interval_s=3600)
    now = int(time.time())
    await _say(stack, "oTalkerNoSubscribe", "黄金", now - 60)
    # The reply went out; nothing was written for it yet.
    assert await _customer(stack, "oTalkerNoSubscribe") is None
    assert stack.engine.interactions.pending == 1

    assert await stack.engine.interactions.flush() == 1
    customer = await _customer(stack, "oTalkerNoSubscribe")
    assert customer is not None
    assert customer.subscribed is True
    assert customer.binding_state == "unbound"
    assert customer.last_interaction_at == datetime.fromtimestamp(now - 60, UTC)

    # Later messages move it forward; a late-arriving older one does not move it back.
    await _say(stack, "oTalkerNoSubscribe", "汇率", now)
    await _say(stack, "oTalkerNoSubscribe", "帮助", now - 30)
    await stack.engine.interactions.flush()
    customer = await _customer(stack, "oTalkerNoSubscribe")
    assert customer is not None
    assert customer.last_interaction_at == datetime.fromtimestamp(now, UTC)
    await stack.engine.interactions.flush()  # nothing pending: a no-op


async def test_a_follower_chatting_away_is_written_once_a_minute(make_stack: Any) -> None:
    stack = await make_stack(interaction_flush_interval_s=3600)
    book = stack.engine.interactions
    now = int(time.time())
    await _say(stack, "oChatty", "帮助", now)
    await book.flush()
    for offset in (10, 30, 59):  # within a minute of the written time: not even noted
        await _say(stack, "oChatty", "帮助", now + offset)
    assert book.pending == 0
    await _say(stack, "oChatty", "帮助", now + 61)
    assert book.pending == 1
    await book.flush()
    customer = await _customer(stack, "oChatty")
    assert customer is not None
    assert customer.last_interaction_at == datetime.fromtimestamp(now + 61, UTC)


async def test_a_menu_click_counts_and_an_unsubscribe_does_not(make_stack: Any) -> None:
    stack = await make_stack(interaction_flush_interval_s=3600)
    now = int(time.time())
    await stack.post(stack.pusher.event("oClicker", "CLICK", create_time=now, EventKey="X"))
    await stack.post(stack.pusher.event("oLeaver", "unsubscribe", create_time=now))
    await stack.engine.interactions.flush()
    clicker = await _customer(stack, "oClicker")
    assert clicker is not None
    assert clicker.last_interaction_at == datetime.fromtimestamp(now, UTC)
    leaver = await _customer(stack, "oLeaver")  # the unsubscribe itself records the row
    assert leaver is not None
    assert leaver.subscribed is False
    assert leaver.last_interaction_at is None


async def test_a_full_batch_is_written_without_waiting_for_the_interval(make_stack: Any) -> None:
    stack = await make_stack(interaction_flush_interval_s=3600, interaction_flush_max=3)
    now = int(time.time())
    for n in range(3):
        await _say(stack, f"oBatch{n}", "帮助", now)

    async def all_written() -> bool:
        return all([await _customer(stack, f"oBatch{n}") for n in range(3)])

    await eventually(all_written, what="a full batch written")


async def test_stopping_writes_what_is_still_noted(make_stack: Any) -> None:
    stack = await make_stack(interaction_flush_interval_s=3600)
    await _say(stack, "oLastWords", "帮助", int(time.time()))
    await stack.engine.interactions.stop()
    assert await _customer(stack, "oLastWords") is not None


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A scratch PostgreSQL database."""
    with scratch_postgres(postgres_url, "wxhub_interactions") as url:
        yield url


@pytest.mark.postgres
async def test_the_upsert_on_postgresql_creates_updates_and_is_idempotent(pg_url: str) -> None:
    await upgrade_async(pg_url)
    engine = make_engine(pg_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            await seed_demo(session, SecretBox(SECRET_KEY))
        async with sessions.begin() as session:
            account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
            assert account_id is not None
            session.add(Customer(account_id=account_id, openid="oKnown", binding_state="bound"))
        book = InteractionBook(sessions, interval_s=3600, max_entries=2)
        now = int(time.time())
        for n in range(3):
            book.note(account_id, f"oPg{n}", now)
        book.note(account_id, "oKnown", now - 5)
        book.note(account_id, "oKnown", now - 10)  # older: ignored
        assert await book.flush() == 4  # two statements of at most two rows
        book.note(account_id, "oKnown", now - 5)  # the same again changes nothing
        await book.flush()
        async with sessions() as session:
            rows = {
                c.openid: c
                for c in await session.scalars(
                    select(Customer).where(Customer.account_id == account_id)
                )
            }
        assert {"oPg0", "oPg1", "oPg2", "oKnown"} <= set(rows)
        assert rows["oKnown"].binding_state == "bound"  # only the time was touched
        assert rows["oKnown"].last_interaction_at == datetime.fromtimestamp(now - 5, UTC)
        assert rows["oPg2"].last_interaction_at == datetime.fromtimestamp(now, UTC)
    finally:
        await engine.dispose()
