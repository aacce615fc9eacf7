"""The dispatcher's transport through a real loopback proxy: absolute form for http, a CONNECT
tunnel for https, NO_PROXY exemptions; the proxy counts what passes through it."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sandboxes import wechat_api
from sandboxes.http_proxy import LoopbackProxy
from sandboxes.server import RunningServer, serve
from services.dispatcher.http.client import LeanAsyncClient
from services.dispatcher.http.proxy import proxy_for
from services.dispatcher.http.transport import KeepAliveTransport
from tests.services.dispatcher.support import Sandboxes, start_harness, stop_harness
from tests.support import self_signed_cert

TOKEN_QUERY = {"grant_type": "client_credential", "appid": "wxa", "secret": "s"}


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


async def test_https_sandbox_behind_the_proxy_through_one_tunnel(
    proxy: LoopbackProxy, tmp_path: Path
) -> None:
    cert_path, key_path = self_signed_cert(tmp_path)
    cert, key = str(cert_path), str(key_path)
    state = wechat_api.WeChatApiState()
    server = await serve(
        wechat_api.build_app(state), "127.0.0.1", 0, ssl_certfile=cert, ssl_keyfile=key
    )
    context = ssl.create_default_context(cafile=cert)
    transport = KeepAliveTransport(
        max_connections=1, ssl_context=context, proxy=f"http://127.0.0.1:{proxy.port}"
    )
    client = LeanAsyncClient(transport, timeout=httpx.Timeout(5.0))
    try:
        for _ in range(3):
            response = await client.get(f"{server.url}/cgi-bin/token", params=TOKEN_QUERY)
            assert response.status_code == 200
    finally:
        await client.aclose()
        await server.stop()
    assert server.url.startswith("https://")
    assert proxy.tunnels == 1  # the tunnel is pooled and reused
    assert proxy.request_lines == []  # the proxy saw no plaintext request
    assert len(state.calls.find("/cgi-bin/token")) == 3


async def test_a_dispatcher_with_a_proxy_setting_delivers_through_it(
    proxy: LoopbackProxy, db_url: str, boxes: Sandboxes
) -> None:
    harness = await start_harness(db_url, boxes, http_proxy=f"http://127.0.0.1:{proxy.port}")
    try:
        nid = await harness.notify()
        rows = await harness.wait_terminal([nid])
    finally:
        await stop_harness(harness)
    assert (rows[nid].status, rows[nid].channel) == ("delivered", "wechat_template")
    through = [line.split(" ")[1] for line in proxy.request_lines]
    assert any(
        url.startswith(f"{boxes.wechat_url}/cgi-bin/message/template/send") for url in through
    )
    assert any("/cgi-bin/stable_token" in url or "/cgi-bin/token" in url for url in through)


@pytest.mark.parametrize(
    "answer", [b"", b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"]
)
async def test_a_proxy_that_refuses_the_tunnel_is_a_connect_error(answer: bytes) -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    refusing = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = refusing.sockets[0].getsockname()[1]
    client = LeanAsyncClient(
        KeepAliveTransport(proxy=f"http://127.0.0.1:{port}"), timeout=httpx.Timeout(5.0)
    )
    try:
        with pytest.raises(httpx.ConnectError, match="via proxy"):
            await client.get("https://api.weixin.qq.com/cgi-bin/token")
    finally:
        await client.aclose()
        refusing.close()
        await refusing.wait_closed()
