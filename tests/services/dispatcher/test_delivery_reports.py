"""WeChat's delivery reports end to end: the WeChat API sandbox pushes TEMPLATESENDJOBFINISH /
MASSSENDJOBFINISH to a real gateway, the engine publishes them, the dispatcher moves the
notification on and publishes ``delivery.<status>`` for stats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from libs.common.bus import EVENTS
from libs.common.db.models import Notification, NotificationEvent
from libs.common.schemas.events import WeChatJobFinished
from libs.common.schemas.outbound import OutboundRequested
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import RunningServer, serve
from services.dispatcher.delivery_reports import reported_status
from services.dispatcher.metrics import WECHAT_REPORTS
from tests.polling import eventually
from tests.services.dispatcher.support import (
    OPENID,
    Harness,
    Sandboxes,
    start_harness,
    stop_harness,
)
from tests.services.support import SECRET_KEY, InboundStack
from wxhub.demo.account import DEMO


@dataclass
class Chain:
    """Gateway, engine and dispatcher on one bus, the WeChat sandbox reporting to the gateway."""

    stack: InboundStack
    dispatcher: Harness

    @property
    def wx(self) -> wechat_api.WeChatApiState:
        return self.dispatcher.boxes.wx

    async def row(self, nid: str) -> Notification | None:
        rows = await self.dispatcher.statuses([nid])
        return rows.get(nid)


@pytest.fixture
async def chain(make_stack: Any, demo_db: str) -> AsyncIterator[Chain]:
    stack: InboundStack = await make_stack()
    wx = wechat_api.WeChatApiState(report_delay_s=0.05)
    sms = sms_sandbox.SmsState()
    servers: list[RunningServer] = [
        await serve(wechat_api.build_app(wx), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms), "127.0.0.1", 0),
        await serve(stack.gateway.app, "127.0.0.1", 0),
    ]
    wx.job_reports.targets[DEMO.appid] = wechat_api.CallbackTarget(
        f"{servers[2].url}/wechat/{DEMO.code}",
        DEMO.token,
        DEMO.original_id,
        DEMO.encoding_aes_key,
    )
    harness = await start_harness(
        demo_db,
        Sandboxes(wx, sms, servers[:2]),
        resources=stack.resources,
        secret_key=SECRET_KEY,
        report_retry_s=0.05,
    )
    yield Chain(stack, harness)
    await stop_harness(harness)
    for server in servers:
        await server.stop()


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("template", "success", "confirmed"),
        ("template", "failed:user block", "blocked"),
        ("template", "failed: user block", "blocked"),
        ("template", "failed: system failed", "failed_on_wechat"),
        ("template", "failed:something new", "failed_on_wechat"),
        ("mass", "send success", "confirmed"),
        ("mass", "send fail", "failed_on_wechat"),
        ("mass", "err(10002)", "failed_on_wechat"),
    ],
)
def test_reported_status(kind: str, status: str, expected: str) -> None:
    assert reported_status(kind, status) == expected


async def test_a_template_report_confirms_the_notification(chain: Chain) -> None:
    nid = await chain.dispatcher.notify()
    row = await _wait_status(chain, nid, "confirmed")
    sent = [d for d in chain.wx.deliveries if d.kind == "template"]
    assert [str(d.msgid) for d in sent] == [row.wechat_msgid]
    pushed = list(chain.wx.job_reports.pushed)
    assert [(p["event"], p["Status"], p["status_code"]) for p in pushed] == [
        ("TEMPLATESENDJOBFINISH", "success", 200)
    ]
    async with chain.stack.resources.sessions() as session:
        history = list(
            await session.scalars(
                select(NotificationEvent.status).where(NotificationEvent.notification_id == nid)
            )
        )
    assert history[-1] == "confirmed"
    event = await eventually(
        lambda: [e for e in chain.dispatcher.events if e.status == "confirmed"], what="event"
    )
    assert event[0].notification_id == nid
    assert event[0].previous == "delivered"
    assert event[0].channel == "wechat_template"
    assert event[0].accepted_at is not None
    assert event[0].event_type == "balance_change"


async def test_delivery_metrics_carry_the_account(chain: Chain) -> None:
    series = {
        "wxhub_dispatcher_sends_total": {
            "account": DEMO.code,
            "channel": "wechat_template",
            "outcome": "sent",
        },
        "wxhub_dispatcher_final_status_total": {
            "account": DEMO.code,
            "priority": "alert",
            "status": "delivered",
            "channel": "wechat_template",
        },
        "wxhub_dispatcher_delivery_seconds_count": {
            "account": DEMO.code,
            "priority": "alert",
            "status": "delivered",
        },
        "wxhub_dispatcher_report_seconds_count": {"account": DEMO.code, "status": "confirmed"},
    }

    def values() -> dict[str, float]:
        return {
            name: REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in series.items()
        }

    before = values()
    nid = await chain.dispatcher.notify()
    await _wait_status(chain, nid, "confirmed")
    after = values()
    assert {name: after[name] - before[name] for name in series} == dict.fromkeys(series, 1.0)


async def test_a_blocking_follower_makes_the_notification_blocked(chain: Chain) -> None:
    chain.wx.job_reports.blocking = {OPENID}
    nid = await chain.dispatcher.notify()
    await _wait_status(chain, nid, "blocked")
    # WeChat accepted the send, so no fallback: blocked is the follower's choice.
    assert chain.dispatcher.boxes.sms.delivered == 0
    await eventually(lambda: [e for e in chain.dispatcher.events if e.status == "blocked"])


async def test_a_system_failure_is_failed_on_wechat(chain: Chain) -> None:
    chain.wx.job_reports.system_failing = {OPENID}
    nid = await chain.dispatcher.notify()
    row = await _wait_status(chain, nid, "failed_on_wechat")
    assert row.reach_total is None


async def test_a_mass_send_records_its_reach(chain: Chain) -> None:
    openids = ["oMassA", "oMassB", "oMassC", "oMassD"]
    chain.wx.job_reports.blocking = {"oMassB"}
    chain.wx.job_reports.system_failing = {"oMassC"}
    mass = OutboundRequested(
        message_id="pub7m1",
        correlation_id="publication:7",
        account=DEMO.code,
        priority="bulk",
        origin="publication",
        custom_message={"msgtype": "text", "text": {"content": "群发"}},
        mass_openids=openids,
    )
    await chain.stack.bus.publish(
        "wx.outbound", "bulk.wechat", mass.to_bytes(), message_id=mass.message_id
    )
    row = await _wait_status(chain, "pub7m1", "confirmed")
    assert (row.reach_total, row.reach_filtered, row.reach_sent, row.reach_errors) == (4, 3, 2, 1)


async def test_a_report_ahead_of_the_send_record_waits_for_it(chain: Chain) -> None:
    nid = await chain.dispatcher.notify(publish=False)
    report = WeChatJobFinished(
        account=DEMO.code, openid=OPENID, kind="template", msgid="777001", status="success"
    )
    await chain.stack.bus.publish(
        EVENTS, "wechat.job_finished", report.to_bytes(), message_id=report.message_id
    )
    # The send's record arrives after the report (its commit was late).
    now = datetime.now(UTC)
    async with chain.stack.resources.sessions.begin() as session:
        row = await session.get(Notification, nid)
        assert row is not None
        row.status, row.wechat_msgid, row.finished_at = "delivered", "777001", now
    await _wait_status(chain, nid, "confirmed")


async def test_an_old_report_nobody_sent_is_dropped(chain: Chain) -> None:
    unmatched = WECHAT_REPORTS.labels(DEMO.code, "template", "unmatched")
    before = unmatched._value.get()
    report = WeChatJobFinished(
        account=DEMO.code,
        openid=OPENID,
        kind="template",
        msgid="999999",
        status="success",
        occurred_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    await chain.stack.bus.publish(
        EVENTS, "wechat.job_finished", report.to_bytes(), message_id=report.message_id
    )
    await eventually(lambda: unmatched._value.get() == before + 1, what="dropped")


async def _wait_status(chain: Chain, nid: str, status: str) -> Notification:
    async def probe() -> Notification | None:
        return await _with_status(chain, nid, status)

    row = await eventually(probe, what=f"{nid} {status}")
    assert row is not None
    return row


async def _with_status(chain: Chain, nid: str, status: str) -> Notification | None:
    row = await chain.row(nid)
    return row if row is not None and row.status == status else None
