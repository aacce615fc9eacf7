"""Helpers of the WeChat API sandbox tests: tokens, signed posts, message and menu bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sandboxes.wechat_api import DEMO_APPID, DEMO_SECRET

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"


async def classic_token(client: httpx.AsyncClient, secret: str = DEMO_SECRET) -> Any:
    params = {"grant_type": "client_credential", "appid": DEMO_APPID, "secret": secret}
    return (await client.get("/cgi-bin/token", params=params)).json()


async def stable_token(client: httpx.AsyncClient, *, force: bool = False) -> Any:
    body = {
        "grant_type": "client_credential",
        "appid": DEMO_APPID,
        "secret": DEMO_SECRET,
        "force_refresh": force,
    }
    return (await client.post("/cgi-bin/stable_token", json=body)).json()


async def post(client: httpx.AsyncClient, path: str, token: str, body: Any, **params: str) -> Any:
    content = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    response = await client.post(
        path, params={"access_token": token, **params}, content=content, headers=headers
    )
    assert response.status_code == 200
    return response.json()


def text(openid: str, content: str = "你好") -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def button(name: str = "菜单", **extra: Any) -> dict[str, Any]:
    return {"type": "click", "name": name, "key": "K", **extra}


def sub_menu(subs: list[dict[str, Any]], name: str = "更多") -> dict[str, Any]:
    return {"name": name, "sub_button": subs}
