"""The smoke run's checks, one per front door: WeChat callbacks, business notifications (delivered
and confirmed through the WeChat API sandbox), the admin API's login."""

from __future__ import annotations

import time
from typing import Any

import httpx

from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO
from wxhub.demo.admin import USERS
from wxhub.demo.outbound import CUSTOMERS
from wxhub.smoke.business_api import demo_notification, demo_signed
from wxhub.smoke.deadline import Deadline
from wxhub.smoke.errors import SmokeFailure
from wxhub.smoke.stack import DevStack

FINAL_STATUSES = {
    "delivered",
    "fallback_sent",
    "suppressed",
    "failed",
    "expired",
    "cancelled",
}
# WeChat's delivery report moves "delivered" on to one of these (R-OUT-9).
REPORTED_STATUSES = {"confirmed", "blocked", "failed_on_wechat"}


def check_callback(stack: DevStack, *, encrypt: bool, msg_id: int) -> str:
    """Push a signed text callback asking for a fund's NAV; returns the engine's answer."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    xml = pusher.text("oWxhubSmoke", "基金 000001", msg_id=msg_id)
    params, body = pusher.sign(xml, encrypt=encrypt)
    response = httpx.post(
        f"{stack.url('gateway_port')}/wechat/{DEMO.code}", params=params, content=body, timeout=10
    )
    if response.status_code != 200:
        raise SmokeFailure(f"callback answered {response.status_code}: {response.text[:300]}")
    reply = parse_xml(pusher.open_reply(response.content) if encrypt else response.content)
    content = str(reply.get("Content", ""))
    if reply.get("MsgType") != "text" or "000001" not in content:
        raise SmokeFailure(f"callback reply is not the fund's answer: {reply}")
    return content


def check_notification(stack: DevStack, deadline: Deadline) -> dict[str, Any]:
    """Submit a signed ``fund_confirm`` notification; returns its WeChat API call once delivered."""
    openid = CUSTOMERS[0][0]
    body, headers = demo_notification(f"smoke-{time.time_ns()}")
    base = f"{stack.url('gateway_port')}/api/v1/notifications"
    accepted = httpx.post(base, content=body, headers=headers, timeout=10)
    if accepted.status_code != 202:
        raise SmokeFailure(f"notification answered {accepted.status_code}: {accepted.text[:300]}")
    notification_id = accepted.json()["id"]

    def settled() -> dict[str, Any] | None:
        status: dict[str, Any] = httpx.get(
            f"{base}/{notification_id}", headers=demo_signed(b""), timeout=5
        ).json()
        return status if status.get("status") in REPORTED_STATUSES | FINAL_STATUSES else None

    def reported() -> dict[str, Any] | None:
        status = settled()
        return status if status is not None and status["status"] != "delivered" else None

    status = deadline.poll("the notification to settle", settled, every=0.2)
    if status["status"] not in {"delivered", "confirmed"}:
        raise SmokeFailure(f"notification not delivered: {status}")
    status = deadline.poll("WeChat's delivery report", reported, every=0.2)
    if status["status"] != "confirmed":
        raise SmokeFailure(f"notification not confirmed by WeChat: {status}")
    calls = httpx.get(
        f"{stack.url('wechat_sandbox_port')}/__sandbox__/calls",
        params={"path": "/cgi-bin/message/template/send"},
        timeout=5,
    ).json()["calls"]
    sent = [c for c in calls if c["body"].get("client_msg_id") == notification_id]
    if len(sent) != 1 or sent[0]["body"].get("touser") != openid:
        raise SmokeFailure(f"expected one template message to {openid}, the sandbox saw {sent}")
    return dict(sent[0]["body"])


def check_admin_login(stack: DevStack) -> str:
    """Log in as the demo admin; returns the granted access token."""
    username, *_, password = USERS[0]
    response = httpx.post(
        f"{stack.url('admin_port')}/api/v1/auth/login",
        data={"username": username, "password": password},
        timeout=10,
    )
    if response.status_code != 200 or not response.json().get("access_token"):
        raise SmokeFailure(f"admin login answered {response.status_code}: {response.text[:300]}")
    return str(response.json()["access_token"])
