"""The simulator endpoints: signed callbacks through a real gateway (on loopback), the follower's
inbox from the WeChat API sandbox, the published menu, and the production switch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandboxes.server import RunningServer, serve
from tests.services.admin_api.support import AdminStack
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO


@pytest.fixture
async def gateway(make_stack: Any, stack: AdminStack) -> AsyncIterator[RunningServer]:
    """A real gateway + engine on a loopback port, named in the admin API's settings."""
    inbound: InboundStack = await make_stack()

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await inbound.gateway.app(scope, receive, send)

    running = await serve(asgi, "127.0.0.1", 0)
    stack.state.settings = stack.state.settings.model_copy(update={"gateway_url": running.url})
    yield running
    await running.stop()


def _said(response: Any) -> str:
    """What an error answer says: its message, and the specific reason (``detail``) that a
    Chinese answer keeps next to the catalogue's message."""
    body = response.json()
    return f"{body['message']} {body.get('detail', '')}"


def _url(stack: AdminStack, tail: str) -> str:
    return f"/api/v1/accounts/{stack.ids['demo_account']}/simulator/{tail}"


async def _send(stack: AdminStack, user: str = "admin", **body: Any) -> Any:
    response = await stack.call(user, "POST", _url(stack, "send"), json=body)
    return response


async def test_text_gets_the_engines_passive_reply(
    stack: AdminStack, gateway: RunningServer
) -> None:
    response = await _send(stack, openid="oSimUser1", kind="text", content="基金 000001")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == 200
    assert result["encrypted"] is True  # the demo account is in compatible mode
    assert result["reply"]["ToUserName"] == "oSimUser1"
    assert "单位净值" in result["reply"]["Content"]
    assert "<Content><![CDATA[基金 000001]]></Content>" in result["request_xml"]


async def test_location_and_subscribe_are_answered(
    stack: AdminStack, gateway: RunningServer
) -> None:
    located = await _send(
        stack, openid="oSimUser2", kind="location", latitude=31.2304, longitude=121.4737
    )
    assert located.status_code == 200, located.text
    assert located.json()["reply"] is not None
    subscribed = await _send(stack, "sh_editor", openid="oSimUser2", kind="subscribe")
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json()["status"] == 200


async def test_missing_fields_are_field_errors(stack: AdminStack) -> None:
    for body, field in (
        ({"kind": "text"}, "content"),
        ({"kind": "click"}, "key"),
        ({"kind": "image"}, "media_id"),
    ):
        response = await _send(stack, openid="oSimUser3", **body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == [field]
    bad_openid = await _send(stack, openid="o sim<>", kind="subscribe")
    assert bad_openid.status_code == 422


async def test_unreachable_gateway_is_a_502(stack: AdminStack) -> None:
    settings = stack.state.settings
    stack.state.settings = settings.model_copy(update={"gateway_url": "http://127.0.0.1:9"})
    response = await _send(stack, openid="oSimUser4", kind="subscribe")
    assert response.status_code == 502
    assert "gateway unreachable" in _said(response)


async def test_approver_without_the_permission_is_refused(stack: AdminStack) -> None:
    response = await _send(stack, "approver", openid="oSimUser5", kind="subscribe")
    assert response.status_code == 403
    assert "simulator.use" in _said(response)


async def test_production_refuses_unless_the_account_is_listed(
    stack: AdminStack, gateway: RunningServer
) -> None:
    settings = stack.state.settings
    stack.state.settings = settings.model_copy(update={"env": "prod"})
    refused = await _send(stack, openid="oSimUser6", kind="subscribe")
    assert refused.status_code == 403
    assert "WXHUB_SIMULATOR_ACCOUNTS" in _said(refused)
    inbox = await stack.call("admin", "GET", _url(stack, "inbox"), params={"openid": "oSimUser6"})
    assert inbox.status_code == 403

    stack.state.settings = settings.model_copy(
        update={"env": "prod", "simulator_accounts": (DEMO.code,)}
    )
    allowed = await _send(stack, openid="oSimUser6", kind="subscribe")
    assert allowed.status_code == 200, allowed.text


async def test_inbox_lists_what_the_sandbox_delivered_to_that_follower(stack: AdminStack) -> None:
    deliver = stack.sandbox.messages.deliver
    text = {"touser": "oSimUser7", "msgtype": "text", "text": {"content": "您的基金已到账"}}
    deliver("custom", DEMO.appid, "oSimUser7", text)
    deliver("custom", DEMO.appid, "oSomeoneElse", {**text, "touser": "oSomeoneElse"})
    deliver("template", "wxOtherAccount", "oSimUser7", {"template_id": "T"})
    deliver("mass", DEMO.appid, ["oSimUser7", "oX"], {"msgtype": "text"})
    deliver("mass", DEMO.appid, None, {"msgtype": "text", "filter": {"is_to_all": True}})
    deliver("mass", DEMO.appid, ["oX"], {"msgtype": "text"})

    response = await stack.call(
        "admin", "GET", _url(stack, "inbox"), params={"openid": "oSimUser7"}
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["kind"] for i in items] == ["custom", "mass", "mass"]
    assert items[0]["body"]["text"]["content"] == "您的基金已到账"
    assert items[2]["body"]["filter"] == {"is_to_all": True}


async def test_menu_is_read_back_from_wechat(stack: AdminStack) -> None:
    empty = await stack.call("admin", "GET", _url(stack, "menu"))
    assert empty.status_code == 200
    assert empty.json() == {}
    button = [{"type": "click", "name": "净值", "key": "NAV"}]
    saved = await stack.call(
        "admin", "PUT", f"/api/v1/accounts/{stack.ids['demo_account']}/menu",
        json={"buttons": button},
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    published = await stack.call(
        "admin", "POST", f"/api/v1/accounts/{stack.ids['demo_account']}/menu/publish"
    )
    assert published.status_code == 200, published.text
    menu = await stack.call("admin", "GET", _url(stack, "menu"))
    assert menu.json()["menu"]["button"][0]["key"] == "NAV"
