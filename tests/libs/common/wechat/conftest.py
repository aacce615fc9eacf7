"""A scripted WeChat API on a real loopback HTTP server (uvicorn, port 0, the test's loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from tests.libs.common.wechat.support import (
    CountingTokens,
    FakeWeChatApi,
)


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    config = uvicorn.Config(
        api, host="127.0.0.1", port=0, log_level="error", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    api.base_url = f"http://127.0.0.1:{port}"
    yield api
    server.should_exit = True
    await task


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def tokens() -> CountingTokens:
    return CountingTokens("stale-token", "fresh-token")
