"""The WeChat API sandbox: Followers: unknown and unsubscribed openids, user info."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandboxes.wechat_api.support import (
    CUSTOM,
    TEMPLATE,
    post,
    text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_unknown_and_unsubscribed_openids(client: httpx.AsyncClient, token: str) -> None:
    users = await client.post(
        "/__sandbox__/users", json={"unknown": ["ghost"], "unsubscribed": ["gone"]}
    )
    assert users.json() == {
        "unknown": ["ghost"],
        "unsubscribed": ["gone"],
        "blocking": [],
        "system_failing": [],
    }

    assert (await post(client, CUSTOM, token, text("ghost")))["errcode"] == 40003
    assert (await post(client, CUSTOM, token, text("gone")))["errcode"] == 43004
    assert (await post(client, CUSTOM, token, text("anyone")))["errcode"] == 0
    template = {"touser": "gone", "template_id": "T1", "data": {}}
    assert (await post(client, TEMPLATE, token, template))["errcode"] == 43004


async def test_user_info(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/__sandbox__/users", json={"unknown": ["ghost"], "unsubscribed": ["gone"]})

    async def info(openid: str) -> Any:
        params = {"access_token": token, "openid": openid, "lang": "zh_CN"}
        return (await client.get("/cgi-bin/user/info", params=params)).json()

    assert (await info("o1"))["subscribe"] == 1
    assert await info("gone") == {"subscribe": 0, "openid": "gone"}
    assert (await info("ghost"))["errcode"] == 40003
