"""``wxhub dev`` (what ``make run`` starts): the whole platform in one process answers for real."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO
from wxhub.processes import REPO_ROOT, free_port

pytestmark = pytest.mark.e2e

PORTS = (
    "gateway_port",
    "admin_port",
    "stats_port",
    "engine_port",
    "dispatcher_port",
    "wechat_sandbox_port",
    "sms_sandbox_port",
    "core_sandbox_port",
)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """``wxhub dev`` on free ports and a fresh SQLite file; yields the ports."""
    tmp: Path = tmp_path_factory.mktemp("dev")
    ports = {name: free_port() for name in PORTS}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")},
        **{f"WXHUB_{name.upper()}": str(port) for name, port in ports.items()},
        "WXHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/wxhub.db",
    }
    log = (tmp / "dev.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "wxhub.cli", "dev"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{ports['gateway_port']}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "dev.log").read_text()[-3000:])
            time.sleep(0.2)
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


SERVICES = {
    "gateway": "gateway_port",
    "admin_api": "admin_port",
    "stats": "stats_port",
    "engine": "engine_port",
    "dispatcher": "dispatcher_port",
}


def test_every_service_is_ready_and_reports_up(dev: dict[str, int]) -> None:
    for service, port in SERVICES.items():
        base = f"http://127.0.0.1:{dev[port]}"
        assert httpx.get(f"{base}/readyz").status_code == 200, service
        metrics = httpx.get(f"{base}/metrics").text
        assert f'wxhub_service_up{{service="{service}"}} 1.0' in metrics, service


def test_callback_answers_in_plaintext_and_aes(dev: dict[str, int]) -> None:
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    url = f"http://127.0.0.1:{dev['gateway_port']}/wechat/{DEMO.code}"
    for msg_id, encrypt in ((101, False), (102, True)):
        params, body = pusher.sign(
            pusher.text("oDev", "基金 000001", msg_id=msg_id), encrypt=encrypt
        )
        response = httpx.post(url, params=params, content=body)
        assert response.status_code == 200
        xml = pusher.open_reply(response.content) if encrypt else response.content
        assert "单位净值" in parse_xml(xml)["Content"]


def test_demo_admin_can_log_in(dev: dict[str, int]) -> None:
    response = httpx.post(
        f"http://127.0.0.1:{dev['admin_port']}/api/v1/auth/login",
        data={"username": "admin", "password": "admin-TEST-pass-1"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


def test_business_notification_is_delivered_through_the_wechat_sandbox(dev: dict[str, int]) -> None:
    body = json.dumps(
        {
            "account": DEMO.code,
            "event_type": "balance_change",
            "to": {"customer_no": "C00000001"},
            "data": {
                "account_tail": "8888",
                "time": "11-26 10:00",
                "amount": "-100.00",
                "balance": "900.00",
            },
            "idempotency_key": f"dev-smoke-{time.time_ns()}",
        },
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Wxhub-System": "demo-core",
        "X-Wxhub-Timestamp": timestamp,
        "X-Wxhub-Signature": hmac.new(
            b"demo-core-secret-not-real", timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest(),
    }
    base = f"http://127.0.0.1:{dev['gateway_port']}"
    accepted = httpx.post(f"{base}/api/v1/notifications", content=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    notification_id = accepted.json()["id"]

    status: dict[str, object] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        timestamp = str(int(time.time()))
        signed = {
            "X-Wxhub-System": "demo-core",
            "X-Wxhub-Timestamp": timestamp,
            "X-Wxhub-Signature": hmac.new(
                b"demo-core-secret-not-real", timestamp.encode() + b".", hashlib.sha256
            ).hexdigest(),
        }
        status = httpx.get(f"{base}/api/v1/notifications/{notification_id}", headers=signed).json()
        if status.get("status") in {"delivered", "fallback_sent", "failed"}:
            break
        time.sleep(0.2)
    assert status.get("status") == "delivered", status
    calls = httpx.get(
        f"http://127.0.0.1:{dev['wechat_sandbox_port']}/__sandbox__/calls",
        params={"path": "/cgi-bin/message/template/send"},
    ).json()
    sent = [c for c in calls["calls"] if c["body"].get("client_msg_id") == notification_id]
    assert len(sent) == 1
    assert sent[0]["body"]["touser"] == "oWxhubDemoCustomer0000000001"
