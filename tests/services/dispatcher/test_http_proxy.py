"""The dispatcher's transport through a real loopback proxy: absolute form for http, a CONNECT
tunnel for https, NO_PROXY exemptions; the proxy counts what passes through it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from sandboxes import wechat_api
from sandboxes.http_proxy import LoopbackProxy
from sandboxes.server import RunningServer, serve
from services.dispatcher.http import KeepAliveTransport, LeanAsyncClient, proxy_for


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    running = LoopbackProxy()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[wechat_api.WeChatApiState, RunningServer]]:
    state = wechat_api.WeChatApiState()
    server = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    yield state, server
    await server.stop()


async def test_http_goes_through_the_proxy_in_absolute_form(
    proxy: LoopbackProxy, sandbox: tuple[wechat_api.WeChatApiState, RunningServer]
) -> None:
    state, server = sandbox
    transport = KeepAliveTransport(max_connections=2, proxy=f"http://127.0.0.1:{proxy.port}")
    client = LeanAsyncClient(transport, timeout=httpx.Timeout(5.0))
    try:
        for _ in range(3):
            response = await client.get(
                f"{server.url}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": "wxa", "secret": "s"},
            )
            assert response.status_code == 200
    finally:
        await client.aclose()
    # Every request crossed the proxy, in absolute form, on one kept-alive connection.
    assert len(proxy.request_lines) == 3, proxy.request_lines
    assert all(line.startswith(f"GET {server.url}/cgi-bin/token?") for line in proxy.request_lines)
    assert len(state.calls.find("/cgi-bin/token")) == 3


async def test_https_is_tunnelled_with_connect(proxy: LoopbackProxy) -> None:
    # No TLS server is needed to see the tunnel: the proxy opens it to a plain listener that
    # closes at once, so the TLS handshake inside the tunnel fails — after the CONNECT.
    accepted = asyncio.Event()

    async def hang_up(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        writer.close()

    target = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = target.sockets[0].getsockname()[1]
    transport = KeepAliveTransport(proxy=f"http://127.0.0.1:{proxy.port}")
    client = LeanAsyncClient(transport, timeout=httpx.Timeout(5.0))
    try:
        with pytest.raises(httpx.TransportError):
            await client.get(f"https://127.0.0.1:{port}/cgi-bin/token")
    finally:
        await client.aclose()
        target.close()
        await target.wait_closed()
    assert proxy.tunnels == 1
    assert accepted.is_set()
    assert proxy.request_lines == []


def test_environment_proxies_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:8080")
    monkeypatch.setenv("NO_PROXY", "sms.internal,.corp")
    https = proxy_for("https", "api.weixin.qq.com", None)
    assert https is not None
    assert (https.host, https.port) == ("proxy.internal", 3128)
    assert https.authorization == b"Basic dXNlcjpwdw=="
    http = proxy_for("http", "api.weixin.qq.com", None)
    assert http is not None
    assert http.port == 8080
    assert proxy_for("http", "sms.internal", None) is None
    assert proxy_for("https", "gw.corp", "http://explicit:1") is None
    explicit = proxy_for("https", "api.weixin.qq.com", "http://explicit:1")
    assert explicit is not None
    assert explicit.host == "explicit"
