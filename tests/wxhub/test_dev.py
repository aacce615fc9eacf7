"""``wxhub dev`` (what ``make run`` starts) answers for real, driven by ``wxhub.smoke``'s steps."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import CUSTOMERS
from wxhub.smoke import (
    SERVICE_PORTS,
    Deadline,
    DevStack,
    SmokeFailure,
    check_admin_login,
    check_callback,
    check_notification,
    demo_notification,
    demo_signed,
    dev_stack,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """``wxhub dev`` on free ports and a fresh SQLite file in a folder that does not exist yet."""
    with dev_stack(tmp_path_factory.mktemp("dev")) as stack:
        stack.wait_ready(Deadline(90))
        yield stack


def test_every_service_is_ready_and_reports_up(dev: DevStack) -> None:
    for service, setting in SERVICE_PORTS.items():
        assert httpx.get(f"{dev.url(setting)}/readyz").status_code == 200, service
        metrics = httpx.get(f"{dev.url(setting)}/metrics").text
        assert f'wxhub_service_up{{service="{service}"}} 1.0' in metrics, service


def test_callback_answers_in_plaintext_and_aes(dev: DevStack) -> None:
    for msg_id, encrypt in ((101, False), (102, True)):
        assert "单位净值" in check_callback(dev, encrypt=encrypt, msg_id=msg_id)


def test_demo_admin_can_log_in(dev: DevStack) -> None:
    assert check_admin_login(dev)


def test_business_notification_is_delivered_through_the_wechat_sandbox(dev: DevStack) -> None:
    sent = check_notification(dev, Deadline(60))
    assert sent["touser"] == "oWxhubDemoCustomer0000000001"
    assert sent["data"]["character_string2"]["value"] == "000001"


def test_a_follower_who_blocks_the_account_leaves_the_notification_blocked(
    dev: DevStack,
) -> None:
    """The WeChat sandbox's report of a refused template reaches the notification's status."""
    openid, _, _ = CUSTOMERS[2]
    sandbox = dev.url("wechat_sandbox_port")
    assert httpx.post(f"{sandbox}/__sandbox__/users", json={"blocking": [openid]}).is_success
    try:
        body, headers = demo_notification(f"dev-blocked-{time.time_ns()}", customer=2)
        base = f"{dev.url('gateway_port')}/api/v1/notifications"
        accepted = httpx.post(base, content=body, headers=headers, timeout=10)
        assert accepted.status_code == 202, accepted.text
        nid = accepted.json()["id"]

        def blocked() -> dict[str, Any] | None:
            found: dict[str, Any] = httpx.get(
                f"{base}/{nid}", headers=demo_signed(b""), timeout=5
            ).json()
            return found if found["status"] == "blocked" else None

        status = Deadline(60).poll("the blocked report", blocked, every=0.2)
        assert [h["status"] for h in status["history"]][-2:] == ["delivered", "blocked"]
    finally:
        httpx.post(f"{sandbox}/__sandbox__/users", json={"blocking": []})


def test_a_stack_that_cannot_start_fails_the_smoke_run_with_its_reason(tmp_path: Path) -> None:
    # Production mode refuses the development secret key: the process exits before it is ready.
    with dev_stack(tmp_path, extra_env={"WXHUB_ENV": "prod"}) as stack:
        with pytest.raises(SmokeFailure, match="exited with 1"):
            stack.wait_ready(Deadline(60))
        assert "WXHUB_SECRET_KEY" in stack.log()


def test_the_stack_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        stack.wait_ready(Deadline(90))
        assert stack.stop() == 0
        assert "Traceback" not in stack.log(tail=10**7)


def test_json_logging_makes_every_line_json_with_request_ids(tmp_path: Path) -> None:
    env = {"WXHUB_LOG_JSON": "true", "WXHUB_LOG_ACCESS": "true"}
    with dev_stack(tmp_path, extra_env=env) as stack:
        stack.wait_ready(Deadline(90))
        assert "单位净值" in check_callback(stack, encrypt=True, msg_id=201)
        response = httpx.get(
            f"{stack.url('admin_port')}/readyz", headers={"X-Request-Id": "ops-check-1"}
        )
        assert response.headers["x-request-id"] == "ops-check-1"
        # Not HTTP at all: uvicorn itself logs a warning, which must come out as JSON too.
        with socket.create_connection(("127.0.0.1", stack.ports["gateway_port"])) as raw:
            raw.sendall(b"NOT HTTP\r\n\r\n")
            raw.recv(1024)
        assert stack.stop() == 0
        lines = [line for line in stack.log(tail=10**7).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    loggers = {r.get("logger") for r in records}
    assert {"alembic.runtime.migration", "uvicorn.error"} <= loggers, loggers
    assert any(r["event"] == "wxhub_dev_ready" for r in records)
    access = [r for r in records if r["event"] == "http_request"]
    ops = [r for r in access if r["request_id"] == "ops-check-1"]
    assert [(r["service"], r["path"], r["status"]) for r in ops] == [("admin_api", "/readyz", 200)]
    callbacks = [r for r in access if r["path"] == "/wechat/demo"]
    assert len(callbacks) == 1
    assert len(callbacks[0]["request_id"]) == 32


def test_binding_in_the_dev_stack_confirms_in_chat_and_logs_no_identity(dev: DevStack) -> None:
    """余额 unbound → link → page → verify → bound → 余额 masked; the confirmation reaches the
    WeChat sandbox through the dispatcher; the process log holds none of the typed values."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    gateway = dev.url("gateway_port")
    openid = "oWxhubDevBinding"
    identity = {
        "id_number": "310101198506150024",
        "card_no": "6217000000000054321",
        "password": "654321",
    }

    def chat(text: str, msg_id: int) -> dict[str, Any]:
        params, body = pusher.sign(pusher.text(openid, text, msg_id=msg_id))
        response = httpx.post(f"{gateway}/wechat/{DEMO.code}", params=params, content=body)
        assert response.status_code == 200
        return parse_xml(response.content)

    news = chat("余额", 301)
    assert news["MsgType"] == "news"
    link = urlsplit(news["Articles"]["item"][0]["Url"])
    with httpx.Client(base_url=gateway, timeout=10) as browser:
        page = browser.get(f"{link.path}?{link.query}")
        assert page.status_code == 200
        hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
        done = browser.post("/h5/bind", data={**hidden, **identity})
        assert done.status_code == 200, done.text

    balance = chat("余额", 302)["Content"]
    assert "************4321" in balance
    assert "数据时间" in balance

    def confirmation() -> list[dict[str, Any]]:
        calls = httpx.get(
            f"{dev.url('wechat_sandbox_port')}/__sandbox__/calls",
            params={"path": "/cgi-bin/message/custom/send"},
            timeout=5,
        ).json()["calls"]
        return [c["body"] for c in calls if c["body"].get("touser") == openid]

    sent = Deadline(30).poll("the binding confirmation", confirmation, every=0.2)
    assert len(sent) == 1
    assert "成功绑定" in sent[0]["text"]["content"]
    log = dev.log(tail=10**7)
    for value in identity.values():
        assert value not in log


def test_personal_queries_and_an_application_through_the_dev_stack(dev: DevStack) -> None:
    """The bound demo customer asks 开户行 / 持仓 / 开通协议 (masked, with the data time); a
    prospect applies on /h5/apply with the code the SMS sandbox received, staff move the status
    through the admin API, the applicant is told in chat, and 进度 shows it."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    gateway = dev.url("gateway_port")

    def chat(openid: str, text: str, msg_id: int) -> dict[str, Any]:
        params, body = pusher.sign(pusher.text(openid, text, msg_id=msg_id))
        response = httpx.post(f"{gateway}/wechat/{DEMO.code}", params=params, content=body)
        assert response.status_code == 200
        return parse_xml(response.content)

    bound = CUSTOMERS[0][0]
    for msg_id, (text, heading) in enumerate(
        [("开户行", "【开户行】"), ("持仓", "【持仓份额】"), ("开通协议", "【已开通协议】")], 401
    ):
        content = chat(bound, text, msg_id)["Content"]
        assert content.startswith(heading), content
        assert "数据时间：2025-06-30 15:00" in content
        assert "622202000000" not in content

    prospect = "oWxhubDevProspect"
    phone = "13900000088"
    news = chat(prospect, "申请", 411)
    link = urlsplit(news["Articles"]["item"][0]["Url"])
    sms = dev.url("sms_sandbox_port")
    with httpx.Client(base_url=gateway, timeout=10) as browser:
        page = browser.get(f"{link.path}?{link.query}")
        assert page.status_code == 200, page.text
        hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
        sent = browser.post("/h5/apply", data={**hidden, "action": "send", "phone": phone})
        assert sent.status_code == 200, sent.text
        texts = httpx.get(f"{sms}/__sandbox__/messages", params={"phone": phone}).json()
        code = re.search(r"验证码 (\d{6})", texts["messages"][-1]["text"])
        assert code is not None
        form = {"action": "submit", "name": "李小龙", "product": "credit_card"}
        done = browser.post("/h5/apply", data={**hidden, **form, "code": code.group(1)})
        assert done.status_code == 200, done.text
    assert "状态：已提交，等待受理" in chat(prospect, "进度", 412)["Content"]

    token = check_admin_login(dev)
    admin = httpx.Client(
        base_url=dev.url("admin_port"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    with admin:
        found = admin.get("/api/v1/applications", params={"q": "李小龙"}).json()["items"]
        assert [a["phone"] for a in found] == ["139****0088"]
        moved = admin.post(
            f"/api/v1/applications/{found[0]['id']}/status",
            json={"status": "approved", "note": "卡片已寄出"},
        )
        assert moved.status_code == 200, moved.text
    progress = chat(prospect, "进度", 413)["Content"]
    assert "状态：已通过" in progress
    assert "说明：卡片已寄出" in progress

    def told() -> list[dict[str, Any]]:
        calls = httpx.get(
            f"{dev.url('wechat_sandbox_port')}/__sandbox__/calls",
            params={"path": "/cgi-bin/message/custom/send"},
            timeout=5,
        ).json()["calls"]
        return [c["body"] for c in calls if c["body"].get("touser") == prospect]

    [notice] = Deadline(30).poll("the applicant's status notice", told, every=0.2)
    assert "有新进度：已通过" in notice["text"]["content"]
    assert phone not in dev.log(tail=10**7)
