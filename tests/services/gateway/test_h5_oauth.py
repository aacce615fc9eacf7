"""Pages opened through WeChat's web authorisation (snsapi_base) against the WeChat API sandbox:
/h5/oauth/{account}/{page} → WeChat's authorize page → callback with a code → the openid from
/sns/oauth2/access_token → the page, exactly as its signed link serves it. Forged, used and
planted codes are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from libs.common.secret_box import SecretBox
from sandboxes import wechat_api
from sandboxes.server import RunningServer, serve
from tests.services.support import SECRET_KEY, InboundStack
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import CUSTOMERS, seed_outbound_demo

BASE = "http://gateway"
BOUND = CUSTOMERS[0][0]


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[wechat_api.WeChatApiState, RunningServer]]:
    state = wechat_api.WeChatApiState()
    running = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    yield state, running
    await running.stop()


@pytest.fixture
async def h5(
    make_stack: Any, sandbox: tuple[wechat_api.WeChatApiState, RunningServer]
) -> InboundStack:
    _, running = sandbox
    stack: InboundStack = await make_stack(
        h5_base_url=BASE, wechat_api_base=running.url, wechat_oauth_base=running.url
    )
    async with stack.resources.sessions.begin() as session:
        await seed_outbound_demo(session, SecretBox(SECRET_KEY))
    return stack


def _browser(stack: InboundStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.gateway.app), base_url=BASE)


async def _through_wechat(browser: httpx.AsyncClient, page: str, openid: str) -> str:
    """Start at the entry, let the sandbox's authorize page answer for ``openid``; the callback
    path and query WeChat sends the browser back to."""
    start = await browser.get(f"/h5/oauth/{DEMO.code}/{page}")
    assert start.status_code == 302
    assert start.headers["cache-control"] == "no-store"
    authorize = start.headers["location"]
    assert authorize.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(authorize).query)
    assert query["appid"] == [DEMO.appid]
    assert query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == [f"{BASE}/h5/oauth/{DEMO.code}/{page}/callback"]
    async with httpx.AsyncClient() as wechat:
        back = await wechat.get(f"{authorize.split('#')[0]}&sandbox_openid={openid}")
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return f"{callback.path}?{callback.query}"


async def test_authorised_user_gets_the_page_its_link_would_show(h5: InboundStack) -> None:
    async with _browser(h5) as browser:
        callback = await _through_wechat(browser, "subscriptions", BOUND)
        landed = await browser.get(callback)
        assert landed.status_code == 303
        link = landed.headers["location"]
        assert link.startswith("/h5/subscriptions?t=")
        page = await browser.get(link)
        assert page.status_code == 200, page.text
        assert "服务订阅" in page.text
        assert 'name="type.fund_confirm"' in page.text
        # The code was traded once: the same callback again is refused.
        replay = await browser.get(callback)
        assert replay.status_code == 400
        assert "授权失败" in replay.text


@pytest.mark.parametrize(
    ("page", "shows"), [("apply", "在线申请"), ("transfer", "进入手机银行转账")]
)
async def test_menu_entries_open_the_application_and_transfer_pages(
    h5: InboundStack, page: str, shows: str
) -> None:
    async with _browser(h5) as browser:
        landed = await browser.get(await _through_wechat(browser, page, "oMenuProspect"))
        assert landed.status_code == 303
        link = landed.headers["location"]
        assert link.startswith(f"/h5/{page}?t=")
        opened = await browser.get(link)
        assert opened.status_code == 200, opened.text
        assert shows in opened.text


async def test_forged_codes_and_planted_callbacks_are_refused(
    h5: InboundStack, sandbox: tuple[wechat_api.WeChatApiState, RunningServer]
) -> None:
    state, _ = sandbox
    async with _browser(h5) as browser, _browser(h5) as victim:
        callback = await _through_wechat(browser, "bind", "oAttacker")
        # The attacker's callback URL opened in another browser lacks the state's cookie.
        planted = await victim.get(callback)
        assert planted.status_code == 400
        path, _, query = callback.partition("?")
        params = parse_qs(query)
        forged = await browser.get(path, params={"code": "forged", "state": params["state"][0]})
        assert forged.status_code == 400
        assert "授权失败" in forged.text
        no_code = await browser.get(path, params={"state": params["state"][0]})
        assert no_code.status_code == 400
        # The genuine code still works in the browser that started.
        assert (await browser.get(callback)).status_code == 303
    traded = [c.errcode for c in state.calls.find("/sns/oauth2/access_token")]
    # The planted callback never reached WeChat; the forged code did and was refused.
    assert traded == [40029, 0]


async def test_unknown_pages_and_accounts_are_not_found(h5: InboundStack) -> None:
    async with _browser(h5) as browser:
        assert (await browser.get(f"/h5/oauth/{DEMO.code}/admin")).status_code == 404
        assert (await browser.get("/h5/oauth/nobody/bind")).status_code == 404
        callback = await browser.get("/h5/oauth/nobody/bind/callback", params={"code": "x"})
        assert callback.status_code == 404
