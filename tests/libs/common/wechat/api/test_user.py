from __future__ import annotations

import httpx
import pytest

from libs.common.wechat.api.user import UserApi
from libs.common.wechat.client import WeChatClient
from libs.common.wechat.errors import WeChatTransportError
from tests.libs.common.wechat.support import CountingTokens, FakeWeChatApi


@pytest.fixture
def users(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> UserApi:
    return UserApi(WeChatClient(http, base_url=wechat_api.base_url, tokens=CountingTokens("t")))


async def test_pages_follow_next_openid(users: UserApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script(
        "/cgi-bin/user/get",
        (200, {"total": 3, "count": 2, "data": {"openid": ["a", "b"]}, "next_openid": "b"}),
        (200, {"total": 3, "count": 1, "data": {"openid": ["c"]}, "next_openid": "c"}),
        (200, {"total": 3, "count": 0, "next_openid": ""}),
    )
    first = await users.list_followers()
    assert (first.total, first.openids, first.next_openid) == (3, ["a", "b"], "b")
    second = await users.list_followers(first.next_openid)
    assert second.openids == ["c"]
    last = await users.list_followers(second.next_openid)
    assert (last.openids, last.next_openid) == ([], "")
    queries = [r.query for r in wechat_api.requests]
    assert "next_openid" not in queries[0]
    assert [q.get("next_openid") for q in queries[1:]] == ["b", "c"]


async def test_batch_info_sends_the_user_list(users: UserApi, wechat_api: FakeWeChatApi) -> None:
    profile = {"subscribe": 1, "openid": "a", "subscribe_time": 1_700_000_000}
    wechat_api.script(
        "/cgi-bin/user/info/batchget", (200, {"user_info_list": [profile, {"subscribe": 0}]})
    )
    assert await users.batch_info(["a", "b"]) == [profile, {"subscribe": 0}]
    assert wechat_api.requests[0].json() == {
        "user_list": [{"openid": "a", "lang": "zh_CN"}, {"openid": "b", "lang": "zh_CN"}]
    }
    with pytest.raises(ValueError):
        await users.batch_info([str(i) for i in range(101)])


async def test_malformed_answers_are_transport_errors(
    users: UserApi, wechat_api: FakeWeChatApi
) -> None:
    wechat_api.script("/cgi-bin/user/get", (200, {"total": "many", "data": {"openid": "a"}}))
    with pytest.raises(WeChatTransportError):
        await users.list_followers()
    wechat_api.script("/cgi-bin/user/info/batchget", (200, {"errcode": 0}))
    with pytest.raises(WeChatTransportError):
        await users.batch_info(["a"])
