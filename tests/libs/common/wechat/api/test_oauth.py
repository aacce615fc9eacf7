from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from libs.common.wechat.api.oauth import authorize_url, exchange_code
from libs.common.wechat.errors import ErrorAction, WeChatApiError, WeChatTransportError
from tests.libs.common.wechat.support import FakeWeChatApi


def test_authorize_url_asks_for_a_code_silently() -> None:
    url = authorize_url(
        "https://open.weixin.qq.com/", "wxapp", "https://h5.example/cb?x=1", "st4te"
    )
    assert url.endswith("#wechat_redirect")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("open.weixin.qq.com", "/connect/oauth2/authorize")
    assert parse_qs(parts.query) == {
        "appid": ["wxapp"],
        "redirect_uri": ["https://h5.example/cb?x=1"],
        "response_type": ["code"],
        "scope": ["snsapi_base"],
        "state": ["st4te"],
    }


async def test_code_is_exchanged_for_the_openid(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    wechat_api.script(
        "/sns/oauth2/access_token",
        (200, {"access_token": "W", "expires_in": 7200, "openid": "oA", "scope": "snsapi_base"}),
    )
    identity = await exchange_code(http, wechat_api.base_url, "wxapp", "s3cret", "C0DE")
    assert (identity.openid, identity.scope) == ("oA", "snsapi_base")
    [request] = wechat_api.requests
    assert (request.method, request.query) == (
        "GET",
        {"appid": "wxapp", "secret": "s3cret", "code": "C0DE", "grant_type": "authorization_code"},
    )


@pytest.mark.parametrize("errcode", [40029, 40163, 42003])
async def test_refused_codes_raise_with_their_action(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, errcode: int
) -> None:
    wechat_api.script("/sns/oauth2/access_token", (200, {"errcode": errcode, "errmsg": "no"}))
    with pytest.raises(WeChatApiError) as caught:
        await exchange_code(http, wechat_api.base_url, "wxapp", "s", "bad")
    assert caught.value.action is ErrorAction.REFUSED_CODE


async def test_an_answer_without_openid_is_a_transport_error(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    wechat_api.script("/sns/oauth2/access_token", (200, {"access_token": "W"}))
    with pytest.raises(WeChatTransportError):
        await exchange_code(http, wechat_api.base_url, "wxapp", "s", "C")
