"""The customer-service console API: seats, assignment, sends through the dispatcher queue,
WeChat's window, transfer, close, transcripts, canned replies and settings (R-CS-1..4)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from libs.common.bus import DISPATCHER_ALERT, STATS_EVENTS, Delivery
from libs.common.db.models import CsSession, utcnow
from tests.services.admin_api.support import AdminStack, follower_asks, queued_messages


async def _online(stack: AdminStack, username: str) -> None:
    response = await stack.call(username, "PUT", "/api/v1/cs/me/status", json={"status": "online"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "online"


async def _session(stack: AdminStack, session_id: int) -> CsSession:
    async with stack.sessions() as session:
        row = await session.get(CsSession, session_id)
        assert row is not None
        return row


async def _events(stack: AdminStack) -> list[tuple[str, dict[str, object]]]:
    received: list[tuple[str, dict[str, object]]] = []

    async def handler(delivery: Delivery) -> None:
        received.append((delivery.message.routing_key, json.loads(delivery.message.body)))
        await delivery.ack()

    import asyncio

    subscription = await stack.state.bus.consume(STATS_EVENTS, handler)
    for _ in range(30):
        await asyncio.sleep(0.01)
    await subscription.cancel()
    return received


async def test_going_online_takes_the_queue_and_offline_puts_it_back_at_the_head(
    stack: AdminStack,
) -> None:
    waiting = [await follower_asks(stack, f"oWait{n}") for n in range(3)]
    await _online(stack, "agent1")
    mine = await stack.call("agent1", "GET", "/api/v1/cs/sessions")
    assert [s["id"] for s in mine.json()] == waiting
    later = await follower_asks(stack, "oLater")  # agent1 has room: assigned at once
    assert (await _session(stack, later)).agent_id == stack.ids["user_agent1"]
    await follower_asks(stack, "oQueued")
    # agent2 can take only 4: one of agent1's sessions keeps waiting.
    lead = await stack.call(
        "cs_lead", "PUT", f"/api/v1/cs/agents/{stack.ids['user_agent2']}", json={"cap": 4}
    )
    assert lead.status_code == 200, lead.text
    offline = await stack.call("agent1", "PUT", "/api/v1/cs/me/status", json={"status": "offline"})
    assert offline.status_code == 200
    queue = await stack.call("cs_lead", "GET", "/api/v1/cs/sessions?view=all&state=queued")
    order = [s["openid"] for s in queue.json()]
    assert order == ["oWait0", "oWait1", "oWait2", "oLater", "oQueued"]
    assert all(s["requeued"] for s in queue.json())
    newcomer = await follower_asks(stack, "oNewcomer")
    assert (await _session(stack, newcomer)).state == "queued"
    assert (await stack.call("agent2", "GET", "/api/v1/cs/queue")).json()["groups"] == {
        "default": 6
    }
    await _online(stack, "agent2")
    taken = await stack.call("agent2", "GET", "/api/v1/cs/sessions")
    assert [s["openid"] for s in taken.json()] == ["oWait0", "oWait1", "oWait2", "oLater"]
    # The requeued one still goes before the newcomer.
    rest = await stack.call("cs_lead", "GET", "/api/v1/cs/sessions?view=all&state=queued")
    assert [s["openid"] for s in rest.json()] == ["oQueued", "oNewcomer"]


async def test_an_agents_message_goes_to_the_dispatcher_at_alert_priority(
    stack: AdminStack,
) -> None:
    await _online(stack, "agent1")
    session_id = await follower_asks(stack, "oChat")
    response = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{session_id}/messages",
        json={"text": "您好，请问有什么可以帮您？"},
    )
    assert response.status_code == 201, response.text
    line = response.json()
    assert (line["sender"], line["content"]) == ("agent", "您好，请问有什么可以帮您？")
    messages = await queued_messages(stack, DISPATCHER_ALERT)
    mine = [m for m in messages if m.message_id == line["msg_id"]]
    assert len(mine) == 1
    assert (mine[0].priority, mine[0].origin, mine[0].openid) == ("alert", "cs", "oChat")
    assert mine[0].custom_message == {
        "msgtype": "text",
        "text": {"content": "您好，请问有什么可以帮您？"},
    }
    assert any("为您服务" in (m.custom_message or {})["text"]["content"] for m in messages)
    events = await _events(stack)
    first = [body for key, body in events if key == "cs.first_response"]
    assert len(first) == 1
    assert first[0]["agent_id"] == stack.ids["user_agent1"]
    transcript = await stack.call("agent1", "GET", f"/api/v1/cs/sessions/{session_id}/messages")
    assert [m["sender"] for m in transcript.json()] == ["system", "agent"]
    # A second message is no first response.
    await stack.call(
        "agent1", "POST", f"/api/v1/cs/sessions/{session_id}/messages", json={"text": "在吗"}
    )
    assert not [key for key, _ in await _events(stack) if key == "cs.first_response"]


async def test_sends_outside_the_48_hour_window_are_refused_with_the_reason(
    stack: AdminStack,
) -> None:
    await _online(stack, "agent1")
    session_id = await follower_asks(stack, "oOld")
    detail = (await stack.call("agent1", "GET", f"/api/v1/cs/sessions/{session_id}")).json()
    assert 48 * 3600 - 60 < detail["window_left_s"] <= 48 * 3600
    assert detail["window_sends_left"] == 4  # the assignment notice took one
    async with stack.sessions.begin() as session:
        await session.execute(
            update(CsSession)
            .where(CsSession.id == session_id)
            .values(last_customer_at=utcnow() - timedelta(hours=48, seconds=1))
        )
    refused = await stack.call(
        "agent1", "POST", f"/api/v1/cs/sessions/{session_id}/messages", json={"text": "还在吗"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "window_expired"
    assert "48 小时" in refused.json()["message"]
    english = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{session_id}/messages",
        json={"text": "还在吗"},
        headers={"Accept-Language": "en"},
    )
    assert "48 hours" in english.json()["message"]
    detail = (await stack.call("agent1", "GET", f"/api/v1/cs/sessions/{session_id}")).json()
    assert (detail["window_left_s"], detail["window_sends_left"]) == (0, 0)
    # Inside the window but with its sends used up.
    async with stack.sessions.begin() as session:
        await session.execute(
            update(CsSession)
            .where(CsSession.id == session_id)
            .values(last_customer_at=utcnow(), window_sends=5)
        )
    used = await stack.call(
        "agent1", "POST", f"/api/v1/cs/sessions/{session_id}/messages", json={"text": "还在吗"}
    )
    assert (used.status_code, used.json()["code"]) == (409, "window_quota_used")
    messages = await queued_messages(stack, DISPATCHER_ALERT)
    assert not [m for m in messages if "还在吗" in json.dumps(m.custom_message, ensure_ascii=False)]


async def test_transfer_with_a_note_and_close_with_a_rating_question(stack: AdminStack) -> None:
    await _online(stack, "agent1")
    await _online(stack, "agent2")
    # agent1 gets the first session (least busy, then by id).
    session_id = await follower_asks(stack, "oMove")
    assert (await _session(stack, session_id)).agent_id == stack.ids["user_agent1"]
    moved = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{session_id}/transfer",
        json={"to_agent_id": stack.ids["user_agent2"], "note": "客户咨询赎回到账时间"},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["agent_id"], moved.json()["note"]) == (
        stack.ids["user_agent2"],
        "客户咨询赎回到账时间",
    )
    # agent1 no longer sees it; agent2 does.
    gone = await stack.call("agent1", "GET", f"/api/v1/cs/sessions/{session_id}")
    assert gone.status_code == 404
    events = await _events(stack)
    transferred = [body for key, body in events if key == "cs.transferred"]
    assert transferred[0]["from_agent_id"] == stack.ids["user_agent1"]
    assert transferred[0]["note"] == "客户咨询赎回到账时间"
    await queued_messages(stack, DISPATCHER_ALERT)
    closed = await stack.call("agent2", "POST", f"/api/v1/cs/sessions/{session_id}/close")
    assert (closed.json()["state"], closed.json()["close_reason"]) == ("closed", "agent")
    notices = await queued_messages(stack, DISPATCHER_ALERT)
    assert any("回复 1～5" in (m.custom_message or {})["text"]["content"] for m in notices)
    row = await _session(stack, session_id)
    assert row.rating_until is not None
    assert row.open_key is None
    # To a group: back in that group's queue, at its head.
    second = await follower_asks(stack, "oVip")
    to_group = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{second}/transfer",
        json={"to_group": "vip", "note": "高净值客户"},
    )
    assert (to_group.json()["state"], to_group.json()["group"]) == ("queued", "vip")
    assert to_group.json()["requeued"] is True


async def test_transcript_export_and_who_sees_a_session(stack: AdminStack) -> None:
    await _online(stack, "agent1")
    session_id = await follower_asks(stack, "oExport")
    await stack.call(
        "agent1", "POST", f"/api/v1/cs/sessions/{session_id}/messages", json={"text": "=1+1 您好"}
    )
    export = await stack.call("agent1", "GET", f"/api/v1/cs/sessions/{session_id}/transcript.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    body = export.text
    assert body.startswith("\ufeffid,at,sender")
    assert "'=1+1 您好" in body  # formula-like cells neutralised
    assert (
        await stack.call("agent2", "GET", f"/api/v1/cs/sessions/{session_id}")
    ).status_code == 404
    assert (
        await stack.call("cs_lead", "GET", f"/api/v1/cs/sessions/{session_id}")
    ).status_code == 200
    # A supervisor takes it over.
    taken = await stack.call("cs_lead", "POST", f"/api/v1/cs/sessions/{session_id}/accept")
    assert (taken.status_code, taken.json()["code"]) == (409, "invalid_state")  # offline
    await _online(stack, "cs_lead")
    taken = await stack.call("cs_lead", "POST", f"/api/v1/cs/sessions/{session_id}/accept")
    assert taken.json()["agent_id"] == stack.ids["user_cs_lead"]


async def test_canned_replies_personal_and_shared(stack: AdminStack) -> None:
    mine = await stack.call(
        "agent1", "POST", "/api/v1/cs/canned-replies", json={"title": "问候", "content": "您好！"}
    )
    assert mine.status_code == 201, mine.text
    shared_refused = await stack.call(
        "agent1",
        "POST",
        "/api/v1/cs/canned-replies",
        json={"title": "营业时间", "content": "9:00-18:00", "personal": False, "account_id": 1},
    )
    assert shared_refused.status_code == 403
    shared = await stack.call(
        "cs_lead",
        "POST",
        "/api/v1/cs/canned-replies",
        json={
            "title": "营业时间",
            "content": "9:00-18:00",
            "personal": False,
            "account_id": stack.ids["demo_account"],
        },
    )
    assert shared.status_code == 201
    seen = await stack.call("agent1", "GET", "/api/v1/cs/canned-replies")
    assert [r["title"] for r in seen.json()] == ["问候", "营业时间"]
    other = await stack.call("agent2", "GET", "/api/v1/cs/canned-replies")
    assert [r["title"] for r in other.json()] == ["营业时间"]
    assert (
        await stack.call("agent2", "DELETE", f"/api/v1/cs/canned-replies/{mine.json()['id']}")
    ).status_code == 404
    assert (
        await stack.call("agent1", "DELETE", f"/api/v1/cs/canned-replies/{mine.json()['id']}")
    ).status_code == 204


async def test_account_settings_are_validated_and_audited(stack: AdminStack) -> None:
    url = f"/api/v1/cs/config/{stack.ids['demo_account']}"
    bad = await stack.call(
        "cs_lead",
        "PUT",
        url,
        json={"hours": {"8": ["09:00", "18:00"]}, "holidays": ["2026-13-01"], "timezone": "Mars"},
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} == {
        ("hours", "8"),
        ("holidays", 0),
        ("timezone",),
    }
    good = await stack.call(
        "cs_lead",
        "PUT",
        url,
        json={
            "keywords": ["人工服务"],
            "hours": {"1": ["09:00", "18:00"]},
            "holidays": ["2026-10-01"],
            "idle_timeout_s": 300,
        },
    )
    assert good.status_code == 200, good.text
    read = (await stack.call("cs_lead", "GET", url)).json()
    assert (read["keywords"], read["idle_timeout_s"]) == (["人工服务"], 300)
    audit = await stack.call("admin", "GET", "/api/v1/audit?action=cs.config")
    assert audit.json()["total"] == 1
    assert (await stack.call("agent1", "GET", url)).status_code == 403


async def test_my_seat_before_and_after_the_first_status(stack: AdminStack) -> None:
    async with stack.sessions() as session:
        assert await session.scalar(select(CsSession.id)) is None
    before = await stack.call("sh_editor", "GET", "/api/v1/cs/me")
    assert before.status_code == 403  # no cs.agent
    seat = await stack.call("agent1", "GET", "/api/v1/cs/me")
    assert (seat.json()["status"], seat.json()["cap"]) == ("offline", 10)


async def test_an_image_is_uploaded_to_wechat_and_sent_as_a_customer_service_image(
    stack: AdminStack,
) -> None:
    await _online(stack, "agent1")
    session_id = await follower_asks(stack, "oImage")
    await queued_messages(stack, DISPATCHER_ALERT)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    response = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{session_id}/images?filename=chart.png",
        content=png,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    line = response.json()
    assert line["kind"] == "image"
    media_id = line["payload"]["media_id"]
    assert [c.path for c in stack.sandbox.calls.find("/cgi-bin/media/upload")]
    (sent,) = await queued_messages(stack, DISPATCHER_ALERT)
    assert sent.custom_message == {"msgtype": "image", "image": {"media_id": media_id}}
    not_an_image = await stack.call(
        "agent1",
        "POST",
        f"/api/v1/cs/sessions/{session_id}/images",
        content=b"hello",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert (not_an_image.status_code, not_an_image.json()["code"]) == (422, "limit_exceeded")


async def test_supervisors_list_the_seats_of_their_scope(stack: AdminStack) -> None:
    seats = await stack.call("cs_lead", "GET", "/api/v1/cs/agents")
    assert seats.status_code == 200, seats.text
    assert {s["user_id"] for s in seats.json()} >= {
        stack.ids["user_agent1"],
        stack.ids["user_agent2"],
    }
