"""Dispatcher test harness: a migrated database, the real WeChat and SMS sandboxes on loopback,
the dispatcher on the memory bus, and helpers to submit notifications and await their fate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from libs.common.db.migrate import upgrade_async
from sandboxes import sms as sms_sandbox
from sandboxes import wechat_api
from sandboxes.server import serve
from tests.services.dispatcher.support import (
    Harness,
    Sandboxes,
    start_harness,
    stop_harness,
)


@pytest.fixture
async def db_url(tmp_path: Any) -> str:
    """A fresh, migrated SQLite database file."""
    url = f"sqlite+aiosqlite:///{tmp_path}/wxhub.db"
    await upgrade_async(url)
    return url


@pytest.fixture
async def boxes() -> AsyncIterator[Sandboxes]:
    """The WeChat API and SMS sandboxes on free loopback ports."""
    wx = wechat_api.WeChatApiState()
    sms = sms_sandbox.SmsState()
    servers = [
        await serve(wechat_api.build_app(wx), "127.0.0.1", 0),
        await serve(sms_sandbox.build_app(sms), "127.0.0.1", 0),
    ]
    yield Sandboxes(wx, sms, servers)
    for server in servers:
        await server.stop()


@pytest.fixture
async def harness(db_url: str, boxes: Sandboxes) -> AsyncIterator[Harness]:
    """A running dispatcher on SQLite and the memory bus."""
    started = await start_harness(db_url, boxes)
    yield started
    await stop_harness(started)
