"""The WeChat API sandbox: web authorisation (authorize page, code → openid, code rules)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandboxes.wechat_api import DEMO_APPID, DEMO_SECRET, WeChatApiState
from sandboxes.wechat_api.oauth import DEMO_OPENID
from tests.sandboxes.support import FakeClock

pytestmark = pytest.mark.asyncio(loop_scope="module")

PATH = "/sns/oauth2/access_token"


def _params(code: str, secret: str = DEMO_SECRET) -> dict[str, str]:
    return {
        "appid": DEMO_APPID,
        "secret": secret,
        "code": code,
        "grant_type": "authorization_code",
    }


async def _authorize(client: httpx.AsyncClient, **extra: str) -> httpx.Response:
    return await client.get(
        "/connect/oauth2/authorize",
        params={
            "appid": DEMO_APPID,
            "redirect_uri": "https://h5.example/h5/oauth/demo/bind/callback",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "s1",
            **extra,
        },
    )


async def test_the_authorize_page_returns_a_code_that_names_the_user_once(
    client: httpx.AsyncClient, state: WeChatApiState
) -> None:
    redirect = await _authorize(client, sandbox_openid="oAlice")
    assert redirect.status_code == 302
    target = urlsplit(redirect.headers["location"])
    assert (target.netloc, target.path) == ("h5.example", "/h5/oauth/demo/bind/callback")
    query = parse_qs(target.query)
    assert query["state"] == ["s1"]
    answer = (await client.get(PATH, params=_params(query["code"][0]))).json()
    assert answer["openid"] == "oAlice"
    assert answer["scope"] == "snsapi_base"
    again = (await client.get(PATH, params=_params(query["code"][0]))).json()
    assert again["errcode"] == 40163
    assert [call.errcode for call in state.calls.find(PATH)] == [0, 40163]


async def test_forged_expired_and_misused_codes_are_refused(
    client: httpx.AsyncClient, state: WeChatApiState, clock: FakeClock
) -> None:
    assert (await client.get(PATH, params=_params("forged"))).json()["errcode"] == 40029
    code = state.oauth.issue(DEMO_APPID, DEMO_OPENID)
    wrong_secret = (await client.get(PATH, params=_params(code, "wrong"))).json()
    assert wrong_secret["errcode"] == 40125
    other_app = state.oauth.issue("wxother", DEMO_OPENID)
    assert (await client.get(PATH, params=_params(other_app))).json()["errcode"] == 40029
    clock.advance(301)
    assert (await client.get(PATH, params=_params(code))).json()["errcode"] == 42003


async def test_authorize_refuses_unknown_apps_and_bad_redirects(client: httpx.AsyncClient) -> None:
    assert (await _authorize(client, appid="wxnope")).status_code == 400
    assert (await _authorize(client, redirect_uri="javascript:alert(1)")).status_code == 400


async def test_codes_are_minted_through_the_control_api(client: httpx.AsyncClient) -> None:
    minted = await client.post(
        "/__sandbox__/oauth/codes", json={"appid": DEMO_APPID, "openid": "oBob"}
    )
    code = minted.json()["code"]
    assert (await client.get(PATH, params=_params(code))).json()["openid"] == "oBob"
    refused = await client.post("/__sandbox__/oauth/codes", json={"appid": DEMO_APPID})
    assert refused.status_code == 400
