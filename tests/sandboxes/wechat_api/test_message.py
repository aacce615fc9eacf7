"""The WeChat API sandbox: Customer-service, template and mass sends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandboxes.wechat_api import WeChatApiState
from tests.sandboxes.support import FakeClock
from tests.sandboxes.wechat_api.support import (
    CUSTOM,
    TEMPLATE,
    post,
    text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"touser": "o1", "msgtype": "telegram", "telegram": {}}, 40008),
        ({"touser": "o1", "msgtype": "text"}, 47001),
        ({"touser": "o1", "msgtype": "text", "text": {"content": ""}}, 44004),
        (
            {"touser": "o1", "msgtype": "news", "news": {"articles": [{"title": "a"}] * 2}},
            45008,
        ),
        ({"msgtype": "text", "text": {"content": "x"}}, 40003),
    ],
)
async def test_custom_send_is_validated(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], errcode: int, state: WeChatApiState
) -> None:
    assert (await post(client, CUSTOM, token, body))["errcode"] == errcode
    assert state.delivered == 0


async def test_custom_send_is_a_delivery(client: httpx.AsyncClient, token: str) -> None:
    await post(client, CUSTOM, token, text("o1", "净值提醒"))

    found = (await client.get("/__sandbox__/deliveries", params={"touser": "o1"})).json()

    assert [d["body"]["text"]["content"] for d in found["deliveries"]] == ["净值提醒"]
    assert found["deliveries"][0]["kind"] == "custom"


async def test_deliveries_after_a_msgid_are_the_newer_ones(
    client: httpx.AsyncClient, token: str
) -> None:
    for content in ("一", "二", "三"):
        await post(client, CUSTOM, token, text("o1", content))
    first = (await client.get("/__sandbox__/deliveries")).json()["deliveries"][0]

    newer = (await client.get("/__sandbox__/deliveries", params={"after": first["msgid"]})).json()
    bad = await client.get("/__sandbox__/deliveries", params={"after": "x"})

    assert [d["body"]["text"]["content"] for d in newer["deliveries"]] == ["二", "三"]
    assert bad.status_code == 400


async def test_template_client_msg_id_is_idempotent(
    client: httpx.AsyncClient, token: str, state: WeChatApiState, clock: FakeClock
) -> None:
    body = {"touser": "o1", "template_id": "T1", "client_msg_id": "ORDER-1", "data": {}}
    first = await post(client, TEMPLATE, token, body)
    again = await post(client, TEMPLATE, token, body)
    other_user = await post(client, TEMPLATE, token, {**body, "touser": "o2"})

    assert first["errcode"] == 0
    assert again["msgid"] == first["msgid"]
    assert other_user["msgid"] != first["msgid"]
    assert state.delivered == 2

    clock.advance(601)
    later = await post(client, TEMPLATE, token, body)

    assert later["msgid"] != first["msgid"]
    assert state.delivered == 3


async def test_template_without_client_msg_id_always_delivers(
    client: httpx.AsyncClient, token: str, state: WeChatApiState
) -> None:
    body = {"touser": "o1", "template_id": "T1", "data": {}}
    first = await post(client, TEMPLATE, token, body)
    second = await post(client, TEMPLATE, token, body)

    assert first["msgid"] != second["msgid"]
    assert state.delivered == 2


async def test_template_needs_template_id(client: httpx.AsyncClient, token: str) -> None:
    answer = await post(client, TEMPLATE, token, {"touser": "o1", "data": {}})

    assert answer["errcode"] == 40037


async def test_mass_send_by_openids(client: httpx.AsyncClient, token: str) -> None:
    message = {"msgtype": "text", "text": {"content": "公告"}, "clientmsgid": "M-1"}
    too_few = await post(client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a"]})
    too_many = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a"] * 10_001}
    )
    sent = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a", "b"]}
    )
    repeat = await post(
        client, "/cgi-bin/message/mass/send", token, {**message, "touser": ["a", "b"]}
    )
    status = await post(client, "/cgi-bin/message/mass/get", token, {"msg_id": sent["msg_id"]})

    assert too_few["errcode"] == 40130
    assert too_many["errcode"] == 40032
    assert sent["errcode"] == 0
    assert sent["errmsg"] == "send job submission success"
    assert repeat["errcode"] == 45065
    assert repeat["msg_id"] == sent["msg_id"]
    assert status == {
        "errcode": 0,
        "errmsg": "ok",
        "msg_id": sent["msg_id"],
        "msg_status": "SEND_SUCCESS",
    }


async def test_mass_sendall_needs_a_tag_unless_to_all(
    client: httpx.AsyncClient, token: str
) -> None:
    message = {"msgtype": "text", "text": {"content": "公告"}}
    no_tag = await post(
        client, "/cgi-bin/message/mass/sendall", token, {**message, "filter": {"is_to_all": False}}
    )
    to_all = await post(
        client, "/cgi-bin/message/mass/sendall", token, {**message, "filter": {"is_to_all": True}}
    )
    unknown = await post(client, "/cgi-bin/message/mass/get", token, {"msg_id": 1})

    assert no_tag["errcode"] == 40050
    assert to_all["errcode"] == 0
    assert "msg_id" in to_all
    assert unknown["errcode"] == 47003
