"""``/api/v1/dead-letters`` against a real dispatcher: only ``deadletter.replay`` may look or
replay, both are audited, and a replay after the deadline is a real new try."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AuditEntry
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import serve
from services.admin_api.app import create_app
from services.admin_api.security import TokenCodec
from services.admin_api.settings import AdminSettings
from services.admin_api.state import AdminState
from tests.services.dispatcher.support import Harness, Sandboxes, start_harness, stop_harness
from wxhub.demo.admin import USERS, seed_admin_demo

URL = "/api/v1/dead-letters"
TEMPLATE = "/cgi-bin/message/template/send"
PASSWORDS = {username: password for username, _, _, _, password in USERS}


@dataclass
class Stack:
    """A dispatcher and the admin API on one database and one in-process bus."""

    harness: Harness
    admin: httpx.AsyncClient

    async def auth(self, username: str) -> dict[str, str]:
        response = await self.admin.post(
            "/api/v1/auth/login", data={"username": username, "password": PASSWORDS[username]}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def listed(self, headers: dict[str, str]) -> list[dict[str, object]]:
        response = await self.admin.get(URL, headers=headers)
        assert response.status_code == 200, response.text
        return list(response.json()["dead_letters"])


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await upgrade_async(url)
    wx, sms = wechat_api.WeChatApiState(), sms_sandbox.SmsState()
    servers = [
        await serve(wechat_api.build_app(wx), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms), "127.0.0.1", 0),
    ]
    harness = await start_harness(url, Sandboxes(wx, sms, servers))
    resources = harness.resources
    async with resources.sessions.begin() as session:
        await seed_admin_demo(session, resources.secret_box)
    settings = AdminSettings(database_url=url, secret_key=harness.settings.secret_key)
    http = httpx.AsyncClient()
    state = AdminState(
        settings=settings,
        sessions=resources.sessions,
        secret_box=resources.secret_box,
        tokens=TokenCodec(settings.secret_key, settings.access_token_ttl_s),
        bus=resources.bus,
        http=http,
    )
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as admin:
        yield Stack(harness, admin)
    await http.aclose()
    await stop_harness(harness)
    for server in servers:
        await server.stop()


async def _eventually_listed(
    stack: Stack, headers: dict[str, str], count: int
) -> list[dict[str, Any]]:
    for _ in range(250):
        letters = await stack.listed(headers)
        if len(letters) == count:
            return letters
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} dead letters, have {letters}")


async def test_replay_after_the_deadline_sends_again_with_a_fresh_deadline(stack: Stack) -> None:
    harness, wx = stack.harness, stack.harness.boxes.wx
    wx.faults.add({"path": TEMPLATE, "http_status": 503})
    nid = await harness.notify(fallback="none", deadline_s=1.0)
    rows = await harness.wait_terminal([nid])
    assert rows[nid].status == "failed"
    admin = await stack.auth("admin")
    letters = await _eventually_listed(stack, admin, 1)
    assert letters[0]["message_id"] == nid
    assert letters[0]["exchange"] == "wx.outbound"
    assert nid in str(letters[0]["body"])
    # Listing leaves it in the queue.
    assert [d["message_id"] for d in await stack.listed(admin)] == [nid]

    # The deadline passes while the message lies in the dead-letter queue.
    while rows[nid].deadline_at > datetime.now(UTC):
        await asyncio.sleep(0.05)
    wx.faults.clear()
    tries_before = len(wx.calls.find(TEMPLATE))
    replayed = await stack.admin.post(f"{URL}/replay", json={"message_ids": [nid]}, headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"replayed": [nid], "skipped": []}

    for _ in range(250):
        rows = await harness.statuses([nid])
        if rows[nid].status == "delivered":
            break
        await asyncio.sleep(0.02)
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    assert len(wx.calls.find(TEMPLATE)) == tries_before + 1
    assert rows[nid].deadline_at > datetime.now(UTC)
    assert await stack.listed(admin) == []
    async with harness.resources.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity == "dead_letter")
            )
        ).all()
        replay = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "deadletter.replay")
        )
    assert actions.count("deadletter.list") >= 2
    assert replay is not None
    assert replay.username == "admin"
    assert replay.after == {"replayed": [nid], "skipped": []}


async def test_only_deadletter_replay_may_look_or_replay(stack: Stack) -> None:
    harness = stack.harness
    harness.boxes.wx.faults.add({"path": TEMPLATE, "http_status": 503})
    nid = await harness.notify(fallback="none")
    await harness.wait_terminal([nid])
    admin = await stack.auth("admin")
    await _eventually_listed(stack, admin, 1)

    assert (await stack.admin.get(URL)).status_code == 401
    assert (await stack.admin.post(f"{URL}/replay", json={})).status_code == 401
    editor = await stack.auth("sh_editor")
    refused = await stack.admin.get(URL, headers=editor)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert (await stack.admin.post(f"{URL}/replay", json={}, headers=editor)).status_code == 403
    invalid = await stack.admin.post(f"{URL}/replay", json={"limit": 0}, headers=admin)
    assert invalid.status_code == 422
    assert ["limit"] in [e["loc"] for e in invalid.json()["errors"]]
    # Nothing was replayed by the refused calls: the letter is still there, still failed.
    assert [d["message_id"] for d in await stack.listed(admin)] == [nid]
    assert (await harness.statuses([nid]))[nid].status == "failed"


async def test_the_dispatcher_port_no_longer_serves_dead_letters(stack: Stack) -> None:
    transport = httpx.ASGITransport(app=stack.harness.service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dispatcher") as client:
        assert (await client.get("/dead-letters")).status_code == 404
        assert (await client.post("/dead-letters/replay", json={})).status_code == 404
        assert (await client.get("/healthz")).status_code == 200
