"""Custom menus: WeChat limits enforced before publishing; publish/read back/delete against the
real loopback WeChat API sandbox."""

from __future__ import annotations

from sqlalchemy import select

from libs.common.db.models import AccessToken, Menu
from libs.common.short_links import ROUTE_PREFIX, ShortLinkSigner, get_link
from tests.services.admin_api.support import SECRET_KEY, AdminStack

MENU = {
    "buttons": [
        {
            "name": "行情",
            "sub_button": [
                {"name": "外汇牌价", "type": "click", "key": "MARKET_FX"},
                {"name": "黄金行情", "type": "click", "key": "MARKET_GOLD"},
            ],
        },
        {"name": "附近网点", "type": "location_select", "key": "NEARBY"},
        {"name": "官网", "type": "view", "url": "https://example.com/fund"},
    ]
}


async def test_limits_are_reported_per_field(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    too_long = {"buttons": [{"name": "六个汉字名称", "type": "click", "key": "K"}]}  # 18 bytes
    response = await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=too_long)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["buttons", 0, "name"]
    six_subs = {
        "buttons": [
            {
                "name": "多",
                "sub_button": [
                    {"name": f"s{i}", "type": "click", "key": f"K{i}"} for i in range(6)
                ],
            }
        ]
    }
    response = await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=six_subs)
    assert response.status_code == 422
    no_key = {
        "buttons": [{"name": "a", "type": "click"}, {"name": "b", "type": "view", "url": "ftp://x"}]
    }
    response = await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=no_key)
    fields = [e["loc"] for e in response.json()["errors"]]
    assert fields == [["buttons", 0, "key"], ["buttons", 1, "url"]]
    four = {"buttons": [{"name": str(i), "type": "click", "key": "K"} for i in range(4)]}
    assert (
        await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=four)
    ).status_code == 422


async def test_publish_read_back_and_delete_through_wechat(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    saved = await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=MENU)
    assert saved.status_code == 200, saved.text
    conditional = await stack.call(
        "admin",
        "POST",
        "/api/v1/menus",
        json={
            "account_id": acc,
            "name": "iOS",
            "buttons": [{"name": "iOS专享", "type": "click", "key": "IOS"}],
            "matchrule": {"client_platform_type": "1"},
        },
    )
    assert conditional.status_code == 201, conditional.text
    # Editing needs menu.edit; publishing needs menu.publish (the branch editor has neither).
    denied = await stack.call("sh_editor", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    assert denied.status_code == 403
    published = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    assert published.status_code == 200, published.text
    assert len(published.json()["conditional_menuids"]) == 1
    remote = (await stack.call("admin", "GET", f"/api/v1/accounts/{acc}/menu/remote")).json()
    assert remote["menu"]["button"][0]["sub_button"][0] == {
        "name": "外汇牌价",
        "type": "click",
        "key": "MARKET_FX",
    }
    assert remote["conditionalmenu"][0]["matchrule"] == {"client_platform_type": "1"}
    creates = stack.sandbox.calls.find("/cgi-bin/menu/create")
    assert len(creates) == 1
    assert creates[0].errcode in (0, None)
    assert creates[0].body["button"][1]["name"] == "附近网点"
    async with stack.sessions() as session:
        token = await session.get(AccessToken, acc)
        menus = list(await session.scalars(select(Menu).where(Menu.account_id == acc)))
    assert token is not None
    assert token.token is not None
    assert all(m.published_at is not None for m in menus)
    deleted = await stack.call("admin", "DELETE", f"/api/v1/accounts/{acc}/menu/remote")
    assert deleted.json() == {"deleted": True}
    assert (await stack.call("admin", "GET", f"/api/v1/accounts/{acc}/menu/remote")).json() == {}


async def test_conditional_rule_must_be_tag_or_platform(stack: AdminStack) -> None:
    response = await stack.call(
        "admin",
        "POST",
        "/api/v1/menus",
        json={
            "account_id": stack.ids["demo_account"],
            "buttons": [{"name": "x", "type": "click", "key": "X"}],
            "matchrule": {},
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["matchrule"]


async def test_publish_without_default_menu_is_invalid_state(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    response = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


async def test_with_click_tracking_view_buttons_go_to_wechat_as_short_links(
    stack: AdminStack,
) -> None:
    acc = stack.ids["demo_account"]
    menu = {
        "buttons": [
            {
                "name": "基金",
                "sub_button": [
                    {"name": "净值", "type": "view", "url": "https://example.com/nav"},
                    {"name": "行情", "type": "click", "key": "MARKET"},
                ],
            },
            {"name": "官网", "type": "view", "url": "https://example.com/fund"},
        ]
    }
    assert (await stack.call("admin", "PUT", f"/api/v1/accounts/{acc}/menu", json=menu)).is_success
    # Off: the urls as saved.
    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    [plain] = stack.sandbox.calls.find("/cgi-bin/menu/create")
    assert plain.body["button"][1]["url"] == "https://example.com/fund"
    patched = await stack.call(
        "admin", "PATCH", f"/api/v1/accounts/{acc}", json={"track_clicks": True}
    )
    assert patched.status_code == 200, patched.text
    published = await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    assert published.status_code == 200, published.text
    tracked = stack.sandbox.calls.find("/cgi-bin/menu/create")[-1].body["button"]
    prefix = stack.state.settings.short_link_base + ROUTE_PREFIX
    urls = [tracked[0]["sub_button"][0]["url"], tracked[1]["url"]]
    assert all(url.startswith(prefix) for url in urls), urls
    assert tracked[0]["sub_button"][1] == {"name": "行情", "type": "click", "key": "MARKET"}
    signer = ShortLinkSigner(SECRET_KEY)
    async with stack.sessions() as session:
        links = [
            await get_link(session, link_id=signer.link_id(url.removeprefix(prefix)) or 0)
            for url in urls
        ]
        saved = await session.scalar(select(Menu).where(Menu.account_id == acc))
    assert [(link.url, link.channel) for link in links if link] == [
        ("https://example.com/nav", "menu"),
        ("https://example.com/fund", "menu"),
    ]
    # The saved menu keeps the real urls; publishing again reuses the same links.
    assert saved is not None
    assert saved.buttons[1]["url"] == "https://example.com/fund"
    await stack.call("admin", "POST", f"/api/v1/accounts/{acc}/menu/publish")
    assert stack.sandbox.calls.find("/cgi-bin/menu/create")[-1].body["button"] == tracked
