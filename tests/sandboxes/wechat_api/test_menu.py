"""The WeChat API sandbox: Custom menus: WeChat's limits, default and conditional menus."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandboxes.wechat_api.support import (
    button,
    post,
    sub_menu,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([], 40016),
        ([button()] * 4, 40016),
        ([{"type": "teleport", "name": "x"}], 40017),
        ([button("一二三四五六")], 40018),  # 18 bytes
        ([button(key="k" * 129)], 40019),
        ([{"type": "view", "name": "x", "url": "https://e.com/" + "a" * 1011}], 40020),
        ([{"type": "view", "name": "x"}], 40020),
        ([sub_menu([button()] * 6)], 40023),
        ([sub_menu([{"type": "x", "name": "y"}])], 40024),
        ([sub_menu([button("汉" * 21)])], 40025),  # 63 bytes
        ([sub_menu([button(key="k" * 129)])], 40026),
        ([sub_menu([{"type": "view", "name": "x", "url": "u" * 1025}])], 40027),
        ([sub_menu([sub_menu([button()])])], 40022),
        ([{"type": "media_id", "name": "x"}], 40007),
    ],
)
async def test_menu_limits(
    client: httpx.AsyncClient, token: str, buttons: list[Any], errcode: int
) -> None:
    answer = await post(client, "/cgi-bin/menu/create", token, {"button": buttons})

    assert answer["errcode"] == errcode


async def test_menu_at_the_limits_is_accepted_and_served(
    client: httpx.AsyncClient, token: str
) -> None:
    buttons = [
        button("一二三四五x"),  # 16 bytes
        sub_menu([button("汉" * 20)] * 5),  # 60 bytes, 5 subs
        {"type": "view", "name": "官网", "url": "https://e.com/" + "a" * 1010},  # 1024 bytes
    ]

    created = await post(client, "/cgi-bin/menu/create", token, {"button": buttons})
    served = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()

    assert created == {"errcode": 0, "errmsg": "ok"}
    assert served["menu"]["button"] == buttons


async def test_menu_delete_and_conditional_menus(client: httpx.AsyncClient, token: str) -> None:
    menu = {"button": [button()]}
    conditional = {**menu, "matchrule": {"tag_id": "2"}}
    no_default = await post(client, "/cgi-bin/menu/addconditional", token, conditional)
    await post(client, "/cgi-bin/menu/create", token, menu)
    empty_rule = await post(
        client, "/cgi-bin/menu/addconditional", token, {**menu, "matchrule": {"tag_id": ""}}
    )
    privacy = await post(
        client, "/cgi-bin/menu/addconditional", token, {**menu, "matchrule": {"sex": "1"}}
    )
    added = await post(client, "/cgi-bin/menu/addconditional", token, conditional)
    served = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()

    assert no_default["errcode"] == 65303
    assert empty_rule["errcode"] == 65304
    assert privacy["errcode"] == 65320
    assert [m["menuid"] for m in served["conditionalmenu"]] == [added["menuid"]]

    missing = await post(client, "/cgi-bin/menu/delconditional", token, {"menuid": "nope"})
    deleted = await post(client, "/cgi-bin/menu/delconditional", token, {"menuid": added["menuid"]})
    assert (missing["errcode"], deleted["errcode"]) == (65301, 0)

    await client.get("/cgi-bin/menu/delete", params={"access_token": token})
    gone = (await client.get("/cgi-bin/menu/get", params={"access_token": token})).json()
    assert gone["errcode"] == 46003
