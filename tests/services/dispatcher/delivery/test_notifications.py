"""The delivery state machine against the real sandboxes (SQLite, memory bus)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from libs.common.bus import DEAD, EVENTS
from libs.common.bus.dead_letters import list_dead_letters, replay_dead_letters
from libs.common.db.models import Customer
from libs.common.schemas.events import InboundHandled
from services.dispatcher import repository
from services.dispatcher.delivery.outgoing import render
from services.dispatcher.rate_limit import seconds_until_daily_reset
from tests.polling import eventually
from tests.services.dispatcher.support import BALANCE, OPENID, PHONE, Harness


async def history(harness: Harness, nid: str) -> list[tuple[str, str | None, str]]:
    async with harness.resources.sessions() as session:
        events = await repository.list_events(session, notification_id=nid)
    return [(e.status, e.channel, e.detail) for e in events]


def test_render_fills_fields_and_tolerates_missing_ones() -> None:
    assert render("{amount}元 {missing}!", {"amount": "5"}) == "5元 !"
    assert render("{broken", {}) == "{broken"


async def test_template_delivery_is_stored_published_and_sent_once(harness: Harness) -> None:
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    row = rows[nid]
    assert (row.status, row.channel, row.attempts) == ("delivered", "wechat_template", 1)
    assert row.wechat_msgid is not None
    sent = [d for d in harness.boxes.wx.deliveries if d.kind == "template"]
    assert len(sent) == 1
    assert sent[0].body["client_msg_id"] == nid
    assert sent[0].body["data"]["amount3"] == {"value": "100.00"}
    steps = [status for status, _, _ in await history(harness, nid)]
    assert steps == ["sending", "delivered"]
    await eventually(lambda: len([e for e in harness.events if e.notification_id == nid]) >= 2)
    published = [(e.status, e.previous) for e in harness.events if e.notification_id == nid]
    assert published == [("sending", "accepted"), ("delivered", "sending")]
    assert harness.boxes.sms.delivered == 0


async def test_redelivered_message_of_terminal_notification_is_only_acked(harness: Harness) -> None:
    nid = await harness.notify()
    await harness.wait_terminal([nid])
    await harness.publish(nid)
    await asyncio.sleep(0.2)
    rows = await harness.statuses([nid])
    assert rows[nid].attempts == 1
    assert len(harness.boxes.wx.deliveries) == 1


async def test_open_window_uses_custom_message_and_counts_quota(harness: Harness) -> None:
    interaction = InboundHandled(
        account="demo", kind="text", openid=OPENID, answer="help", outcome="ok", handle_ms=1.0
    )
    await harness.resources.bus.publish(EVENTS, "inbound.handled", interaction.to_bytes())
    await eventually(lambda: _has_window(harness), what="the message window")
    ids = [await harness.notify() for _ in range(6)]
    rows = await harness.wait_terminal(ids)
    channels = sorted(row.channel or "" for row in rows.values())
    # The message window allows 5 customer-service sends; the sixth goes as a template.
    assert channels.count("wechat_custom") == 5
    assert channels.count("wechat_template") == 1
    custom = [d for d in harness.boxes.wx.deliveries if d.kind == "custom"]
    assert custom[0].body["text"]["content"].startswith("【资金变动提醒】您尾号1234")


async def test_closed_window_errcode_routes_to_template(harness: Harness) -> None:
    interaction = InboundHandled(
        account="demo", kind="text", openid=OPENID, answer="", outcome="ok", handle_ms=1.0
    )
    await harness.resources.bus.publish(EVENTS, "inbound.handled", interaction.to_bytes())
    await eventually(lambda: _has_window(harness), what="the message window")
    harness.boxes.wx.faults.add(
        {"path": "/cgi-bin/message/custom/send", "errcode": 45015, "count": 1}
    )
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    details = [d for _, _, d in await history(harness, nid)]
    assert any("45015" in d for d in details)
    # The window is marked closed: the next one goes straight to a template.
    nid2 = await harness.notify()
    rows = await harness.wait_terminal([nid2])
    assert rows[nid2].channel == "wechat_template"
    assert len([d for d in harness.boxes.wx.deliveries if d.kind == "custom"]) == 0


async def test_verdict_falls_back_to_sms_now_and_never_both(harness: Harness) -> None:
    harness.boxes.wx.unsubscribed = {OPENID}
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("fallback_sent", "sms")
    assert "43004" in (rows[nid].reason or "")
    assert [m.phone for m in harness.boxes.sms.messages.values()] == [PHONE]
    assert harness.boxes.sms.messages[nid].text.startswith("【wxhub演示基金】您尾号1234")
    assert len(harness.boxes.wx.deliveries) == 0
    statuses = [s for s, _, _ in await history(harness, nid)]
    assert statuses[-1] == "fallback_sent"
    # 43004 is remembered: the follower is marked unsubscribed.
    async with harness.resources.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.openid == OPENID))
    assert customer is not None
    assert (customer.subscribed, customer.unsubscribed_at is not None) == (False, True)
    # Its event names the event type, the stable reason and the errcode behind the fallback.
    [event] = await eventually(
        lambda: [e for e in harness.events if e.status == "fallback_sent"], what="the event"
    )
    assert (event.event_type, event.reason_code, event.errcode) == (
        "balance_change",
        "recipient",
        43004,
    )


async def test_daily_quota_pauses_the_api_until_beijing_midnight(harness: Harness) -> None:
    harness.boxes.wx.faults.add(
        {"path": "/cgi-bin/message/template/send", "errcode": 45009, "count": 1}
    )
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("fallback_sent", "sms")
    paused = harness.service.limiter.paused_for("demo", "wechat_template")
    assert abs(paused - seconds_until_daily_reset()) < 5, paused
    # While paused, the next one goes straight to SMS without calling WeChat.
    calls = len(harness.boxes.wx.calls.find("/cgi-bin/message/template/send"))
    nid2 = await harness.notify()
    rows = await harness.wait_terminal([nid2])
    assert rows[nid2].status == "fallback_sent"
    assert len(harness.boxes.wx.calls.find("/cgi-bin/message/template/send")) == calls
    assert "paused" in (rows[nid2].reason or "")


async def test_concurrent_notifications_share_claim_and_finish_transactions(
    harness: Harness,
) -> None:
    harness.boxes.wx.faults.add({"path": "/cgi-bin/message/template/send", "latency_ms": 20})
    claims = harness.service.services["alert"].claims
    batches: list[int] = []
    claim_batch = claims.claim_batch

    async def counting(ids: list[str]) -> Any:
        batches.append(len(ids))
        return await claim_batch(ids)

    claims.batches._write = counting
    ids = [await harness.notify(publish=False) for _ in range(100)]
    await asyncio.gather(*(harness.publish(nid) for nid in ids))
    rows = await harness.wait_terminal(ids)
    assert {row.status for row in rows.values()} == {"delivered"}
    assert sum(batches) == 100
    # Far fewer transactions than messages: concurrent deliveries joined shared batches.
    assert len(batches) < 50, batches
    for nid in ids[:5]:
        assert [s for s, _, _ in await history(harness, nid)] == ["sending", "delivered"]


async def test_busy_template_is_retried_with_the_same_client_msg_id(harness: Harness) -> None:
    harness.boxes.wx.faults.add(
        {"path": "/cgi-bin/message/template/send", "errcode": -1, "count": 2}
    )
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    calls = harness.boxes.wx.calls.find("/cgi-bin/message/template/send")
    assert [c.outcome for c in calls] == ["-1", "-1", "0"]
    assert harness.boxes.sms.delivered == 0


async def test_deadline_passed_falls_back(harness: Harness) -> None:
    harness.boxes.wx.faults.add({"path": "/cgi-bin/message/template/send", "http_status": 503})
    nid = await harness.notify(deadline_s=0.3)
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "fallback_sent"
    assert "deadline" in (rows[nid].reason or "") or "attempts" in (rows[nid].reason or "")


async def test_no_fallback_allowed_fails_with_reason(harness: Harness) -> None:
    harness.boxes.wx.unsubscribed = {OPENID}
    nid = await harness.notify(fallback="none")
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "failed"
    assert "no fallback allowed" in (rows[nid].reason or "")
    assert harness.boxes.sms.delivered == 0


async def test_phone_resolved_from_customer_number(harness: Harness) -> None:
    harness.boxes.wx.unsubscribed = {OPENID}
    nid = await harness.notify(openid=None, phone=None, customer_no="C00000001")
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "fallback_sent"
    assert harness.boxes.sms.messages[nid].phone == PHONE


async def test_customer_number_alone_is_delivered_on_wechat(harness: Harness) -> None:
    # A row naming only the (sealed) customer number: opened, resolved to the bound follower.
    nid = await harness.notify(openid=None, phone=None, customer_no="C00000001")
    rows = await harness.wait_terminal([nid])
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    (sent,) = harness.boxes.wx.deliveries
    assert sent.touser == OPENID
    sealed = rows[nid].customer_no_enc
    assert sealed is not None
    assert "C00000001" not in sealed


async def test_sealed_phone_reaches_the_sms_fallback(harness: Harness) -> None:
    harness.boxes.wx.unsubscribed = {OPENID}
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "fallback_sent"
    sealed = rows[nid].phone_enc
    assert sealed is not None
    assert PHONE not in sealed
    assert harness.boxes.sms.messages[nid].phone == PHONE


async def test_exhausted_retries_fail_dead_letter_and_replay(harness: Harness) -> None:
    harness.boxes.wx.unsubscribed = {OPENID}
    harness.boxes.sms.faults.add({"path": "/send", "http_status": 503})
    nid = await harness.notify()
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "failed"
    assert "SMS failed" in (rows[nid].reason or "")
    bus = harness.resources.bus
    listed = await list_dead_letters(bus)
    assert [d["message_id"] for d in listed] == [nid]
    assert listed[0]["exchange"] == "wx.outbound"
    # Listing leaves it in the queue.
    assert len(await list_dead_letters(bus)) == 1
    harness.boxes.sms.faults.clear()
    replayed = await replay_dead_letters(bus)
    assert replayed["replayed"] == [nid]
    rows = await harness.wait_terminal([nid])
    for _ in range(100):
        rows = await harness.statuses([nid])
        if rows[nid].status == "fallback_sent":
            break
        await asyncio.sleep(0.02)
    assert rows[nid].status == "fallback_sent"
    assert harness.boxes.sms.delivered == 1
    assert DEAD == "wx.dead"


def test_custom_message_record_id_keeps_short_message_ids_for_outcome_lookups() -> None:
    from services.dispatcher.delivery import custom_send_id

    assert custom_send_id("pub12r345") == "pub12r345"
    long_id = "late:demo:msg:6054768590064713728:oUser:1409735668"
    hashed = custom_send_id(long_id)
    assert len(hashed) == 32
    assert hashed == custom_send_id(long_id)
    assert hashed != custom_send_id(long_id + "x")


async def _has_window(harness: Harness) -> bool:
    return OPENID in await harness.windows()


async def test_poison_data_fails_with_its_reason_and_is_dead_lettered(harness: Harness) -> None:
    # A lone UTF-16 surrogate no JSON encoder sends: stored before acceptance refused it.
    nid = await harness.notify(data={**BALANCE, "amount": "\ud800"})
    rows = await harness.wait_terminal([nid], timeout=10)
    assert rows[nid].status == "failed"
    assert "UnicodeEncodeError" in (rows[nid].reason or "")
    listed = await list_dead_letters(harness.resources.bus)
    assert [d["message_id"] for d in listed] == [nid]
    assert harness.boxes.wx.calls.find("/cgi-bin/message/template/send") == []
