"""The WeChat API sandbox reports template and mass sends to the account's callback URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from libs.common.wechat import MessageCrypto, check_signature, parse_xml
from sandboxes.server import serve
from sandboxes.wechat_api import DEMO_APPID
from tests.polling import eventually
from tests.sandboxes.wechat_api.support import TEMPLATE, post

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN = "reporttoken"
AES_KEY = "WFvFpOc4yr1ZCUmocbwe6Y5TvI15dQxddWNzj1psCMn"
MASS = "/cgi-bin/message/mass/send"


@pytest_asyncio.fixture(loop_scope="module")
async def received() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A callback endpoint that checks signatures like the gateway and records the fields."""
    fields: list[dict[str, Any]] = []
    crypto = MessageCrypto(TOKEN, [AES_KEY], DEMO_APPID)

    async def callback(request: Request) -> PlainTextResponse:
        q = request.query_params
        assert check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
        outer = parse_xml(await request.body())
        inner = crypto.decrypt(
            str(outer["Encrypt"]),
            msg_signature=q["msg_signature"],
            timestamp=q["timestamp"],
            nonce=q["nonce"],
        )
        fields.append(parse_xml(inner.xml))
        return PlainTextResponse("success")

    server = await serve(
        Starlette(routes=[Route("/wechat/demo", callback, methods=["POST"])]), "127.0.0.1", 0
    )
    yield f"{server.url}/wechat/demo", fields
    await server.stop()


async def _register(client: httpx.AsyncClient, url: str) -> None:
    answer = await client.post(
        "/__sandbox__/callbacks",
        json={
            "appid": DEMO_APPID,
            "url": url,
            "token": TOKEN,
            "original_id": "gh_report",
            "encoding_aes_key": AES_KEY,
        },
    )
    assert answer.json()["callbacks"][DEMO_APPID] == {"url": url, "original_id": "gh_report"}


async def test_nothing_is_pushed_without_a_callback(
    client: httpx.AsyncClient, token: str, received: tuple[str, list[dict[str, Any]]]
) -> None:
    sent = await post(client, TEMPLATE, token, {"touser": "oA", "template_id": "T", "data": {}})
    assert sent["errcode"] == 0
    assert (await client.get("/__sandbox__/pushes")).json() == {"pushes": []}


async def test_template_sends_are_reported_and_a_blocking_follower_refuses(
    client: httpx.AsyncClient, token: str, received: tuple[str, list[dict[str, Any]]]
) -> None:
    url, fields = received
    fields.clear()
    await _register(client, url)
    users = await client.post("/__sandbox__/users", json={"blocking": ["oBlock"]})
    assert users.json()["blocking"] == ["oBlock"]
    msgids = {}
    for openid in ("oFine", "oBlock"):
        body: dict[str, Any] = {"touser": openid, "template_id": "T", "data": {}}
        msgids[openid] = str((await post(client, TEMPLATE, token, body))["msgid"])
    await eventually(lambda: len(fields) == 2, what="two reports")
    got = {f["FromUserName"]: (f["Event"], f["MsgID"], f["Status"]) for f in fields}
    assert got == {
        "oFine": ("TEMPLATESENDJOBFINISH", msgids["oFine"], "success"),
        "oBlock": ("TEMPLATESENDJOBFINISH", msgids["oBlock"], "failed:user block"),
    }
    assert all(f["ToUserName"] == "gh_report" for f in fields)
    pushes = (await client.get("/__sandbox__/pushes")).json()["pushes"]
    assert [p["status_code"] for p in pushes] == [200, 200]


async def test_mass_sends_report_their_reach(
    client: httpx.AsyncClient, token: str, received: tuple[str, list[dict[str, Any]]]
) -> None:
    url, fields = received
    fields.clear()
    await _register(client, url)
    await client.post("/__sandbox__/users", json={"blocking": ["o2"], "system_failing": ["o3"]})
    body = {"touser": ["o1", "o2", "o3"], "msgtype": "text", "text": {"content": "群发"}}
    msg_id = (await post(client, MASS, token, body))["msg_id"]
    report = (await eventually(lambda: fields, what="mass report"))[0]
    assert report["Event"] == "MASSSENDJOBFINISH"
    assert report["MsgID"] == str(msg_id)
    assert (report["TotalCount"], report["FilterCount"]) == ("3", "2")
    assert (report["SentCount"], report["ErrorCount"]) == ("1", "1")
    assert report["Status"] == "send success"
