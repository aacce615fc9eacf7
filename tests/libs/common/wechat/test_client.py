from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from libs.common.wechat.client import WeChatClient, decode_response
from libs.common.wechat.errors import ErrorAction, WeChatApiError, WeChatTransportError
from tests.libs.common.wechat.support import Answer, CountingTokens, FakeWeChatApi, Recorded


def client_for(api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens) -> WeChatClient:
    return WeChatClient(http, base_url=api.base_url + "/", tokens=tokens)


async def test_post_json_adds_token_and_sends_utf8_unescaped(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    tokens = CountingTokens("tok-1")
    wechat_api.script("/cgi-bin/message/custom/send", (200, {"errcode": 0, "errmsg": "ok", "x": 1}))
    client = client_for(wechat_api, http, tokens)
    answer = await client.post_json(
        "/cgi-bin/message/custom/send", {"text": {"content": "您好，基金净值"}}, params={"a": "b"}
    )
    assert answer["x"] == 1
    [request] = wechat_api.requests
    assert request.method == "POST"
    assert request.query == {"a": "b", "access_token": "tok-1"}
    assert "您好，基金净值".encode() in request.body
    assert b"\\u" not in request.body
    assert request.headers["content-type"].startswith("application/json")
    assert request.json() == {"text": {"content": "您好，基金净值"}}


async def test_get_json_adds_token_to_params(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    client = client_for(wechat_api, http, CountingTokens("tok-1"))
    await client.get_json("cgi-bin/user/info", {"openid": "o1", "lang": "zh_CN"})
    [request] = wechat_api.requests
    assert (request.method, request.path) == ("GET", "/cgi-bin/user/info")
    assert request.query == {"openid": "o1", "lang": "zh_CN", "access_token": "tok-1"}


def token_gate(errcode: int):
    async def answer(request: Recorded) -> Answer:
        if request.query["access_token"] == "stale-token":
            return 200, {"errcode": errcode, "errmsg": "invalid credential"}
        return 200, {"errcode": 0, "errmsg": "ok", "token_seen": request.query["access_token"]}

    return answer


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_token_error_invalidates_the_failed_token_and_retries_once(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens, errcode: int
) -> None:
    gate = token_gate(errcode)
    wechat_api.script("/cgi-bin/menu/get", gate, gate)
    answer = await client_for(wechat_api, http, tokens).get_json("/cgi-bin/menu/get")
    assert answer["token_seen"] == "fresh-token"
    assert tokens.invalidated == ["stale-token"]
    assert [r.query["access_token"] for r in wechat_api.requests] == ["stale-token", "fresh-token"]


async def test_persistent_token_error_is_raised_after_one_retry(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient
) -> None:
    tokens = CountingTokens("stale-token")
    gate = token_gate(40001)
    wechat_api.script("/cgi-bin/menu/get", gate, gate, gate)
    with pytest.raises(WeChatApiError) as caught:
        await client_for(wechat_api, http, tokens).get_json("/cgi-bin/menu/get")
    assert caught.value.errcode == 40001
    assert caught.value.action is ErrorAction.REFRESH_TOKEN
    assert len(wechat_api.requests) == 2
    assert tokens.invalidated == ["stale-token"]


async def test_other_errors_raise_without_retry(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens
) -> None:
    wechat_api.script(
        "/cgi-bin/message/custom/send",
        (200, {"errcode": 45015, "errmsg": "response out of time limit"}),
    )
    with pytest.raises(WeChatApiError) as caught:
        await client_for(wechat_api, http, tokens).post_json("/cgi-bin/message/custom/send", {})
    assert caught.value.errcode == 45015
    assert caught.value.errmsg == "response out of time limit"
    assert caught.value.action is ErrorAction.FALLBACK
    assert len(wechat_api.requests) == 1
    assert tokens.invalidated == []


async def test_duplicate_clientmsgid_counts_as_success(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens
) -> None:
    wechat_api.script(
        "/cgi-bin/message/mass/send",
        (200, {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": 1000001}),
    )
    answer = await client_for(wechat_api, http, tokens).post_json("/cgi-bin/message/mass/send", {})
    assert answer["msg_id"] == 1000001


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ((502, b"<html>bad gateway</html>"), 502),
        ((404, b"not found"), 404),
        ((200, b"<html>not json</html>"), 200),
        ((200, b"[1, 2]"), None),
        ((200, b'{"errcode": "zero"}'), None),
    ],
)
async def test_non_json_or_http_errors_are_transport_errors(
    wechat_api: FakeWeChatApi,
    http: httpx.AsyncClient,
    tokens: CountingTokens,
    answer: Answer,
    status: int | None,
) -> None:
    wechat_api.script("/cgi-bin/menu/get", answer)
    with pytest.raises(WeChatTransportError) as caught:
        await client_for(wechat_api, http, tokens).get_json("/cgi-bin/menu/get")
    assert caught.value.status_code == status
    assert len(wechat_api.requests) == 1


async def test_unreachable_server_is_a_transport_error(
    http: httpx.AsyncClient, tokens: CountingTokens
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WeChatClient(http, base_url=f"http://127.0.0.1:{port}", tokens=tokens)
    with pytest.raises(WeChatTransportError):
        await client.get_json("/cgi-bin/menu/get")


async def test_timeout_is_a_transport_error(
    wechat_api: FakeWeChatApi, tokens: CountingTokens
) -> None:
    async def slow(request: Recorded) -> Answer:
        await asyncio.sleep(0.5)
        return 200, {"errcode": 0}

    wechat_api.script("/cgi-bin/menu/get", slow)
    async with httpx.AsyncClient(timeout=0.1) as http:
        with pytest.raises(WeChatTransportError, match="Timeout"):
            await client_for(wechat_api, http, tokens).get_json("/cgi-bin/menu/get")


async def test_absolute_urls_pass_through(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens
) -> None:
    client = WeChatClient(http, base_url="https://api.weixin.qq.invalid", tokens=tokens)
    await client.post_json(
        f"{wechat_api.base_url}/customservice/kfaccount/add", {"kf_account": "a"}
    )
    assert wechat_api.requests[0].path == "/customservice/kfaccount/add"


async def test_multipart_retry_resends_the_file(
    wechat_api: FakeWeChatApi, http: httpx.AsyncClient, tokens: CountingTokens
) -> None:
    gate = token_gate(42001)
    wechat_api.script("/cgi-bin/media/upload", gate, gate)
    client = client_for(wechat_api, http, tokens)
    await client.post_multipart(
        "/cgi-bin/media/upload",
        params={"type": "image"},
        files={"media": ("a.jpg", b"\xff\xd8JPEGDATA", "image/jpeg")},
    )
    assert len(wechat_api.requests) == 2
    assert all(b"JPEGDATA" in r.body for r in wechat_api.requests)


def test_errcode_absent_means_success() -> None:
    response = httpx.Response(
        200, json={"access_token": "t"}, request=httpx.Request("GET", "http://x/")
    )
    assert decode_response(response) == {"access_token": "t"}
