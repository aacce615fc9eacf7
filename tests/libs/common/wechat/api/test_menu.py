from __future__ import annotations

import httpx
import pytest

from libs.common.wechat.api.menu import MenuApi
from libs.common.wechat.client import WeChatClient
from tests.libs.common.wechat.support import CountingTokens, FakeWeChatApi

BUTTONS = [{"type": "click", "name": "基金净值", "key": "NAV"}]


@pytest.fixture
def menu(wechat_api: FakeWeChatApi, http: httpx.AsyncClient) -> MenuApi:
    return MenuApi(WeChatClient(http, base_url=wechat_api.base_url, tokens=CountingTokens("t")))


async def test_create_get_delete(menu: MenuApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script("/cgi-bin/menu/get", (200, {"menu": {"button": BUTTONS}}))
    await menu.create(BUTTONS)
    assert (await menu.get())["menu"]["button"] == BUTTONS
    await menu.delete()
    calls = [(r.method, r.path) for r in wechat_api.requests]
    assert calls == [
        ("POST", "/cgi-bin/menu/create"),
        ("GET", "/cgi-bin/menu/get"),
        ("GET", "/cgi-bin/menu/delete"),
    ]
    assert wechat_api.requests[0].json() == {"button": BUTTONS}


async def test_conditional_menus(menu: MenuApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.script("/cgi-bin/menu/addconditional", (200, {"menuid": 208379533}))
    menuid = await menu.add_conditional(BUTTONS, {"tag_id": "2"})
    assert menuid == "208379533"
    await menu.delete_conditional(menuid)
    add, delete = wechat_api.requests
    assert add.json() == {"button": BUTTONS, "matchrule": {"tag_id": "2"}}
    assert (delete.path, delete.json()) == ("/cgi-bin/menu/delconditional", {"menuid": "208379533"})
