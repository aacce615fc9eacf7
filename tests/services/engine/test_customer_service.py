"""Human customer service from the follower's side, through gateway + engine (R-CS-1..4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from libs.common.bus import DISPATCHER_ALERT, STATS_EVENTS
from libs.common.cs.hours import describe, is_open
from libs.common.db.models import CsMessage, CsSession, CsTicket
from tests.polling import eventually
from tests.services.engine.support import (
    add_agent,
    configure_cs,
    say,
    say_text,
    sessions_of,
    tap,
)
from tests.services.support import InboundStack


async def test_followers_are_told_their_place_in_the_queue(stack: InboundStack) -> None:
    await configure_cs(stack)
    events = await tap(stack.bus, STATS_EVENTS)
    assert "您是下一位" in await say_text(stack, "oQ1", "人工")
    assert "您前面还有 1 位" in await say_text(stack, "oQ2", "转人工")
    assert "您前面还有 2 位" in await say_text(stack, "oQ3", " 客服 ")
    # Asking again does not queue twice; the place is repeated.
    assert "前面还有 1 位" in await say_text(stack, "oQ2", "人工")
    rows = await sessions_of(stack)
    assert [(r.openid, r.state) for r in rows] == [
        ("oQ1", "queued"),
        ("oQ2", "queued"),
        ("oQ3", "queued"),
    ]
    await eventually(lambda: len(events.events("cs.queued")) == 3, what="3 queued events")
    assert [e["position"] for e in events.events("cs.queued")] == [1, 2, 3]
    assert {e["account"] for e in events.events("cs.queued")} == {"demo"}


async def test_cap_holds_with_eleven_followers_and_one_agent(stack: InboundStack) -> None:
    await configure_cs(stack)
    agent = await add_agent(stack, "solo", cap=10)
    notices = await tap(stack.bus, DISPATCHER_ALERT)
    events = await tap(stack.bus, STATS_EVENTS)
    replies = [await say_text(stack, f"oCap{n:02d}", "人工") for n in range(11)]
    assert all("马上为您接入" in reply for reply in replies[:10]), replies
    assert "您是下一位" in replies[10]
    rows = await sessions_of(stack)
    assert [r.state for r in rows] == ["assigned"] * 10 + ["queued"]
    assert {r.agent_id for r in rows[:10]} == {agent}
    await eventually(lambda: len(notices.texts_to("oCap00")) == 1, what="assignment notice")
    assert "solo号为您服务" in notices.texts_to("oCap00")[0]
    assert notices.texts_to("oCap10") == []
    # One follower ends: the seat goes to the one who waited.
    closing = await say_text(stack, "oCap03", "结束")
    assert "本次人工服务已结束" in closing
    assert "回复 1～5" in closing
    rows = await sessions_of(stack)
    assert [r.state for r in rows].count("assigned") == 10
    assert (rows[3].state, rows[3].close_reason) == ("closed", "customer")
    assert (rows[10].state, rows[10].agent_id) == ("assigned", agent)
    await eventually(lambda: len(events.events("cs.assigned")) == 11, what="11 assignments")
    closed = await eventually(lambda: events.events("cs.closed"), what="close event")
    assert closed[0]["reason"] == "customer"
    assert closed[0]["agent_id"] == agent
    assert closed[0]["assigned_at"] is not None


async def test_messages_of_an_open_session_go_to_the_transcript_not_commands(
    stack: InboundStack,
) -> None:
    await configure_cs(stack)
    await add_agent(stack, "talker")
    await say_text(stack, "oTalk", "人工")
    response = await say(stack, "oTalk", "帮助")
    assert response.content == b"success"
    async with stack.resources.sessions() as session:
        lines = list(await session.scalars(select(CsMessage).order_by(CsMessage.id)))
    customer = [
        (line.sender, line.kind, line.content) for line in lines if line.sender == "customer"
    ]
    assert customer == [("customer", "text", "帮助")]
    # After "结束" the same word is a command again.
    assert "结束" in await say_text(stack, "oTalk", "结束")
    assert "回复以下指令" in await say_text(stack, "oTalk", "帮助")


async def test_a_redelivered_callback_is_written_once(stack: InboundStack) -> None:
    await configure_cs(stack)
    await add_agent(stack, "once")
    await say_text(stack, "oOnce", "人工")
    xml = stack.pusher.text("oOnce", "我想问定投", msg_id=424242)
    for _ in range(2):
        assert (await stack.post(xml)).status_code == 200
    async with stack.resources.sessions() as session:
        count = len(
            list(await session.scalars(select(CsMessage).where(CsMessage.content == "我想问定投")))
        )
    assert count == 1


async def test_idle_session_closes_with_a_notice_and_the_rating_is_stored(
    make_stack: Any,
) -> None:
    stack: InboundStack = await make_stack(cs_sweep_interval_s=0.05)
    await configure_cs(stack, idle_timeout_s=60)
    agent = await add_agent(stack, "idle")
    notices = await tap(stack.bus, DISPATCHER_ALERT)
    events = await tap(stack.bus, STATS_EVENTS)
    await say_text(stack, "oIdle", "人工")
    # Nobody spoke for longer than the account's timeout.
    async with stack.resources.sessions.begin() as session:
        await session.execute(
            update(CsSession).values(last_activity_at=datetime.now(UTC) - timedelta(seconds=61))
        )
    await eventually(
        lambda: any("长时间未回复" in t for t in notices.texts_to("oIdle")), what="idle notice"
    )
    notice = next(t for t in notices.texts_to("oIdle") if "长时间未回复" in t)
    assert "回复 1～5" in notice
    (row,) = await sessions_of(stack)
    assert (row.state, row.close_reason, row.open_key) == ("closed", "idle", None)
    assert "感谢您的评价" in await say_text(stack, "oIdle", "4")
    (row,) = await sessions_of(stack)
    assert (row.rating, row.rated_at is not None) == (4, True)
    rated = await eventually(lambda: events.events("cs.rated"), what="rating event")
    assert (rated[0]["rating"], rated[0]["agent_id"]) == (4, agent)
    # Only one rating: a second digit is an ordinary message again.
    assert "感谢您的评价" not in await say_text(stack, "oIdle", "5")


async def test_an_active_session_is_not_closed_as_idle(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(cs_sweep_interval_s=0.05)
    await configure_cs(stack, idle_timeout_s=60)
    await add_agent(stack, "busy")
    await say_text(stack, "oBusy", "人工")
    events = await tap(stack.bus, STATS_EVENTS)
    await eventually(lambda: events.events("cs.assigned"), what="assignment event")
    (row,) = await sessions_of(stack)
    assert row.state == "assigned"


async def test_off_hours_offer_a_message_that_becomes_a_ticket(stack: InboundStack) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await configure_cs(
        stack, holidays=[today], hours={str(d): ["09:00", "18:00"] for d in range(1, 6)}
    )
    await add_agent(stack, "holiday")
    reply = await say_text(stack, "oLate", "人工")
    assert "非服务时间" in reply
    assert "周一至周五 09:00-18:00" in reply
    assert "留言 您的问题" in reply
    assert await sessions_of(stack) == []
    assert "留言已收到" in await say_text(stack, "oLate", "留言：我想咨询基金定投")
    assert "请在“留言”后写下您的问题" in await say_text(stack, "oLate", "留言")
    async with stack.resources.sessions() as session:
        tickets = list(await session.scalars(select(CsTicket)))
    assert [(t.openid, t.content, t.state) for t in tickets] == [
        ("oLate", "我想咨询基金定投", "open")
    ]


async def test_the_menu_key_asks_for_a_person_too(stack: InboundStack) -> None:
    await configure_cs(stack, menu_key="ASK_HUMAN")
    response = await stack.post(stack.pusher.event("oMenu", "CLICK", EventKey="ASK_HUMAN"))
    assert "您是下一位" in stack.reply_fields(response)["Content"]
    assert [r.openid for r in await sessions_of(stack)] == ["oMenu"]


async def test_accounts_without_customer_service_keep_their_commands(
    stack: InboundStack,
) -> None:
    assert "回复以下指令" in await say_text(stack, "oPlain", "人工")
    assert await sessions_of(stack) == []


def test_service_hours_and_holidays() -> None:
    hours = {"1": ["09:00", "18:00"], "6": ["10:00", "24:00"]}
    monday_9 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert is_open(hours=hours, holidays=[], timezone="Asia/Shanghai", at=monday_9)
    assert not is_open(
        hours=hours, holidays=[], timezone="Asia/Shanghai", at=monday_9 - timedelta(minutes=1)
    )
    assert not is_open(hours=hours, holidays=["2026-12-07"], timezone="Asia/Shanghai", at=monday_9)
    saturday_late = datetime(2026, 12, 12, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    assert is_open(hours=hours, holidays=[], timezone="Asia/Shanghai", at=saturday_late)
    assert is_open(hours={}, holidays=[], timezone="Asia/Shanghai", at=monday_9)
    assert describe({str(d): ["09:00", "18:00"] for d in range(1, 6)}) == "周一至周五 09:00-18:00"


async def test_queued_followers_are_told_when_their_place_improves_by_the_step(
    make_stack: Any,
) -> None:
    stack: InboundStack = await make_stack(cs_position_step=2)
    await configure_cs(stack)
    notices = await tap(stack.bus, DISPATCHER_ALERT)
    for n in range(6):
        await say_text(stack, f"oStep{n}", "人工")
    # Three seats free up at once: the first three are served, the others move up by three.
    await add_agent(stack, "three", cap=3)
    assert "前面还有 3 位" in await say_text(stack, "oStep6", "人工")
    await eventually(lambda: notices.texts_to("oStep5"), what="oStep5 told its new place")
    assert notices.texts_to("oStep3") == ["您是下一位，客服马上为您服务，请稍候。"]
    assert notices.texts_to("oStep4") == ["您正在排队，前面还有 1 位，请稍候。"]
    assert notices.texts_to("oStep5") == ["您正在排队，前面还有 2 位，请稍候。"]
    assert len(notices.texts_to("oStep0")) == 1  # the assignment notice only


async def test_a_follower_who_unfollows_leaves_the_queue_and_frees_the_seat(
    stack: InboundStack,
) -> None:
    await configure_cs(stack)
    await add_agent(stack, "single", cap=1)
    notices = await tap(stack.bus, DISPATCHER_ALERT)
    await say_text(stack, "oLeaving", "人工")
    await say_text(stack, "oWaiting", "人工")
    left = await stack.post(stack.pusher.event("oLeaving", "unsubscribe"))
    assert left.status_code == 200
    rows = await sessions_of(stack)
    assert [(r.openid, r.state, r.close_reason) for r in rows] == [
        ("oLeaving", "closed", "left"),
        ("oWaiting", "assigned", None),
    ]
    assert rows[0].rating_until is None
    await eventually(lambda: notices.texts_to("oWaiting"), what="the next follower served")
    # Only the assignment notice ever went to the follower who left.
    assert len(notices.texts_to("oLeaving")) == 1
