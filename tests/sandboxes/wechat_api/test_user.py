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


async def test_follower_list_pages_and_batchget(client: httpx.AsyncClient, token: str) -> None:
    seeded = await client.post("/__sandbox__/followers", json={"count": 5, "page_size": 2})
    assert seeded.json() == {"count": 5, "page_size": 2}
    await client.post("/__sandbox__/users", json={"unsubscribed": ["oSbxFollower000000000001"]})

    async def page(after: str = "") -> Any:
        params = {"access_token": token, **({"next_openid": after} if after else {})}
        return (await client.get("/cgi-bin/user/get", params=params)).json()

    pages, after = [], ""
    while (answer := await page(after))["count"]:
        pages.append(answer["data"]["openid"])
        after = answer["next_openid"]
        assert answer["total"] == 4  # an unfollowed openid is no longer listed
    assert [len(p) for p in pages] == [2, 2]
    assert (await page("nobody"))["errcode"] == 40003

    listed = [{"openid": o} for o in ("oSbxFollower000000000000", "oSbxFollower000000000001")]
    infos = (await post(client, "/cgi-bin/user/info/batchget", token, {"user_list": listed}))[
        "user_info_list"
    ]
    assert infos[0]["subscribe"] == 1
    assert infos[0]["subscribe_time"] > 0
    assert infos[1] == {"subscribe": 0, "openid": "oSbxFollower000000000001"}
    too_many = {"user_list": [{"openid": f"o{i}"} for i in range(101)]}
    assert (await post(client, "/cgi-bin/user/info/batchget", token, too_many))["errcode"] != 0
    bad = await client.post("/__sandbox__/followers", json={"count": -1})
    assert bad.status_code == 400
    await client.post("/__sandbox__/followers", json={"count": 0, "page_size": 10_000})
    await client.post("/__sandbox__/users", json={"unsubscribed": []})
