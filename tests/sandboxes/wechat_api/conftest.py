"""Fixtures of the WeChat API sandbox tests: a fresh state per test on the module's server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from sandboxes.wechat_api import WeChatApiState, build_app
from tests.sandboxes.support import FakeClock, SharedServer
from tests.sandboxes.wechat_api.support import stable_token


@pytest.fixture
def state(clock: FakeClock) -> WeChatApiState:
    return WeChatApiState(clock=clock)


@pytest_asyncio.fixture(loop_scope="module")
async def client(
    shared_server: SharedServer, state: WeChatApiState
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="module")
async def token(client: httpx.AsyncClient) -> str:
    return str((await stable_token(client))["access_token"])
