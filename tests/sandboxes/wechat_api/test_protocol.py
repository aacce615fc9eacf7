"""The WeChat API sandbox: Request bodies judged like the real API."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.sandboxes.wechat_api.support import (
    CUSTOM,
    post,
    text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_unicode_escapes_are_refused(client: httpx.AsyncClient, token: str) -> None:
    escaped = json.dumps(text("o1", "你好")).encode()
    assert b"\\u" in escaped

    response = await client.post(CUSTOM, params={"access_token": token}, content=escaped)

    assert response.json()["errcode"] == 40033


async def test_a_literal_backslash_u_is_not_an_escape(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await post(client, CUSTOM, token, text("o1", r"C:\users\u1234"))

    assert answer["errcode"] == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", '{"a": "\xff"}'.encode("latin-1")])
async def test_unparsable_body_is_47001(client: httpx.AsyncClient, token: str, raw: bytes) -> None:
    response = await client.post(CUSTOM, params={"access_token": token}, content=raw)

    assert response.json()["errcode"] == 47001
