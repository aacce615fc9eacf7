"""Subscriptions and unsubscribes change what the dispatcher sends (R-EN-6, R-EN-7), through real
gateway, engine and dispatcher processes on RabbitMQ + PostgreSQL + Redis, with the WeChat API
and SMS sandboxes: an opted-out type and an unfollowed customer get no WeChat call at all.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.models import Customer
from libs.common.secret_box import SecretBox
from libs.common.wechat import parse_xml
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import RunningServer, serve
from sandboxes.wechat_push import CallbackPusher
from tests.e2e.support import SECRET_KEY, platform_env, wait_ready
from tests.polling import eventually
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import CUSTOMERS, seed_outbound_demo
from wxhub.processes import ProcessGroup
from wxhub.smoke import demo_signed

pytestmark = [pytest.mark.e2e, pytest.mark.amqp, pytest.mark.postgres, pytest.mark.redis]

_ids = itertools.count(7_400_000_000_000_000_000)
PUSHER = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
FUND = {
    "fund_name": "演示成长混合",
    "fund_code": "000001",
    "amount": "10,000.00",
    "shares": "8,100.45",
    "confirm_date": "2025-06-30",
}
BALANCE = {"account_tail": "1234", "time": "10:00", "amount": "100.00", "balance": "900.00"}
TERMINAL = {"delivered", "fallback_sent", "suppressed", "failed"}


@pytest.fixture
async def sandboxes() -> AsyncIterator[list[RunningServer]]:
    """The WeChat API and SMS sandboxes on free loopback ports (read through their HTTP API)."""
    servers = [
        await serve(wechat_api.build_app(wechat_api.WeChatApiState()), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms_sandbox.SmsState()), "127.0.0.1", 0),
    ]
    yield servers
    for server in servers:
        await server.stop()


async def test_opt_out_and_unsubscribe_keep_notifications_off_wechat(
    processes: ProcessGroup,
    e2e_database: str,
    e2e_namespace: str,
    amqp_url: str,
    redis_url: str,
    core_sandbox_server: RunningServer,
    sandboxes: list[RunningServer],
) -> None:
    wechat_server, sms_server = sandboxes
    engine = make_engine(e2e_database)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await seed_outbound_demo(session, SecretBox(SECRET_KEY))
    processes.env.update(
        platform_env(
            database_url=e2e_database,
            amqp_url=amqp_url,
            redis_url=redis_url,
            namespace=e2e_namespace,
            core_url=core_sandbox_server.url,
            WXHUB_WECHAT_API_BASE=wechat_server.url,
            WXHUB_SMS_URL=f"{sms_server.url}/send",
        )
    )
    started = [
        processes.start("engine", port_setting="engine_port"),
        processes.start("gateway", port_setting="gateway_port"),
        processes.start("dispatcher", port_setting="dispatcher_port"),
    ]
    await wait_ready(*started)
    gateway = started[1].url
    opted_openid, opted_no, _ = CUSTOMERS[0]
    gone_openid, gone_no, gone_phone = CUSTOMERS[1]

    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:

        async def callback(xml: bytes) -> dict[str, Any]:
            params, body = PUSHER.sign(xml)
            response = await client.post(f"/wechat/{DEMO.code}", params=params, content=body)
            assert response.status_code == 200, response.text
            return parse_xml(response.content) if response.content.startswith(b"<") else {}

        async def notify(customer_no: str, event_type: str, data: dict[str, str]) -> str:
            body = json.dumps(
                {
                    "account": DEMO.code,
                    "event_type": event_type,
                    "to": {"customer_no": customer_no},
                    "data": data,
                },
                ensure_ascii=False,
            ).encode()
            headers = {"Content-Type": "application/json", **demo_signed(body)}
            accepted = await client.post("/api/v1/notifications", content=body, headers=headers)
            assert accepted.status_code == 202, accepted.text
            return str(accepted.json()["id"])

        async def outcome(nid: str) -> dict[str, Any]:
            async def terminal() -> dict[str, Any]:
                response = await client.get(
                    f"/api/v1/notifications/{nid}", headers=demo_signed(b"")
                )
                found: dict[str, Any] = response.json()
                return found if found.get("status") in TERMINAL else {}

            ended: dict[str, Any] = await eventually(
                terminal, timeout=30, what=f"notification {nid} to end"
            )
            return ended

        # The first customer opts out of fund_confirm on the subscriptions page.
        reply = await callback(PUSHER.text(opted_openid, "订阅", msg_id=next(_ids)))
        url = urlsplit(reply["Articles"]["item"][0]["Url"])
        page = await client.get(f"{url.path}?{url.query}")
        assert page.status_code == 200, page.text
        hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
        saved = await client.post("/h5/subscriptions", data={**hidden, "type.balance_change": "1"})
        assert saved.status_code == 200, saved.text

        # The second one unfollows: the engine suspends the binding.
        await callback(PUSHER.event(gone_openid, "unsubscribe"))

        async def suspended() -> bool:
            async with sessions() as session:
                state = await session.scalar(
                    select(Customer.binding_state).where(Customer.openid == gone_openid)
                )
            return state == "suspended"

        await eventually(suspended, timeout=15, what="the binding to be suspended")

        opted_fund = await notify(opted_no, "fund_confirm", FUND)
        opted_balance = await notify(opted_no, "balance_change", BALANCE)
        gone_fund = await notify(gone_no, "fund_confirm", FUND)
        gone_balance = await notify(gone_no, "balance_change", BALANCE)
        results = {
            nid: await outcome(nid) for nid in (opted_fund, opted_balance, gone_fund, gone_balance)
        }
        assert (results[opted_fund]["status"], results[opted_fund]["reason"]) == (
            "suppressed",
            "opted_out",
        )
        assert results[opted_balance]["status"] == "delivered"
        assert (results[gone_fund]["status"], results[gone_fund]["reason"]) == (
            "suppressed",
            "unsubscribed",
        )
        # balance_change allows SMS to customers who unfollowed: SMS only.
        assert (results[gone_balance]["status"], results[gone_balance]["channel"]) == (
            "fallback_sent",
            "sms",
        )
        assert results[gone_balance]["reason"] == "unsubscribed"

        calls = (await client.get(f"{wechat_server.url}/__sandbox__/calls")).json()["calls"]
        wechat_sends = [c for c in calls if "/message/" in c["path"]]
        # One send on WeChat: opted_balance (a template, or a custom message when the "订阅"
        # above opened the customer-service window in time).
        assert [c["body"].get("touser") for c in wechat_sends] == [opted_openid]
        texts = (
            await client.get(f"{sms_server.url}/__sandbox__/messages", params={"phone": gone_phone})
        ).json()
    await engine.dispose()
    assert len(texts["messages"]) == 1, texts
