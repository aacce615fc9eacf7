from __future__ import annotations

import httpx
import pytest

from libs.common.wechat.api.token import fetch_stable_token, fetch_token
from libs.common.wechat.errors import ErrorAction, WeChatApiError, WeChatTransportError
from tests.libs.common.wechat.support import FakeWeChatApi


async def test_stable_token(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> None:
    wechat_api.script("/cgi-bin/stable_token", (200, {"access_token": "ACC", "expires_in": 7200}))
    token = await fetch_stable_token(
        http, wechat_api.base_url, "wxapp", "s3cret", force_refresh=True
    )
    assert token == ("ACC", 7200)
    [request] = wechat_api.requests
    assert request.method == "POST"
    assert "access_token" not in request.query
    assert request.json() == {
        "grant_type": "client_credential",
        "appid": "wxapp",
        "secret": "s3cret",
        "force_refresh": True,
    }


async def test_classic_token(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> None:
    wechat_api.script("/cgi-bin/token", (200, {"access_token": "ACC2", "expires_in": 7000}))
    assert await fetch_token(http, wechat_api.base_url + "/", "wxapp", "s") == ("ACC2", 7000)
    [request] = wechat_api.requests
    assert (request.method, request.query) == (
        "GET",
        {"grant_type": "client_credential", "appid": "wxapp", "secret": "s"},
    )


async def test_token_errors_are_raised(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> None:
    wechat_api.script("/cgi-bin/stable_token", (200, {"errcode": 40164, "errmsg": "invalid ip"}))
    with pytest.raises(WeChatApiError) as caught:
        await fetch_stable_token(http, wechat_api.base_url, "wxapp", "s")
    assert caught.value.action is ErrorAction.CONFIG


async def test_incomplete_token_answer_is_rejected(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    wechat_api.script("/cgi-bin/token", (200, {"access_token": "ACC"}))
    with pytest.raises(WeChatTransportError):
        await fetch_token(http, wechat_api.base_url, "wxapp", "s")
