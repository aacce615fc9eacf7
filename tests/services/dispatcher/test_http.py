"""The dispatcher's lean HTTP transport against a raw loopback server: keep-alive reuse,
chunked bodies, servers closing connections, timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from services.dispatcher.http.client import LeanAsyncClient
from services.dispatcher.http.transport import KeepAliveTransport

Responder = Callable[[int], Awaitable[bytes | None]]


class RawServer:
    """Answers each request with whatever ``respond(n)`` returns (None: close, no answer)."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = await self.respond(len(self.requests))
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b'{"ok":true}', *extra: bytes) -> bytes:
    headers = [b"HTTP/1.1 200 OK", b"Content-Length: " + str(len(body)).encode(), *extra]
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Responder], Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(respond: Responder) -> RawServer:
        server = RawServer(respond)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


def client(timeout: float = 2.0) -> LeanAsyncClient:
    return LeanAsyncClient(KeepAliveTransport(max_connections=2), timeout=httpx.Timeout(timeout))


async def test_requests_reuse_one_kept_alive_connection(
    serve: Callable[..., Awaitable[RawServer]],
) -> None:
    async def respond(n: int) -> bytes:
        return ok(b'{"n":%d}' % n)

    server = await serve(respond)
    async with client() as http:
        answers = [
            (await http.post(f"{server.url}/send", params={"access_token": "t"}, content=b"{}"))
            for _ in range(3)
        ]
    assert [a.json() for a in answers] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /send?access_token=t HTTP/1.1\r\n")
    assert b"Content-Length: 2\r\n" in first
    assert b"Host: 127.0.0.1:" in first


async def test_chunked_body_is_read_whole(serve: Callable[..., Awaitable[RawServer]]) -> None:
    async def respond(n: int) -> bytes:
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        return head + b'5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'

    server = await serve(respond)
    async with client() as http:
        assert (await http.get(server.url)).json() == {"a": 1}
        assert (await http.get(server.url)).json() == {"a": 1}
    assert server.connections == 1


async def test_connection_close_is_honoured(serve: Callable[..., Awaitable[RawServer]]) -> None:
    async def respond(n: int) -> bytes:
        return ok(b"{}", b"Connection: close")

    server = await serve(respond)
    async with client() as http:
        for _ in range(2):
            assert (await http.get(server.url)).status_code == 200
    assert server.connections == 2


async def test_idle_connection_closed_by_the_server_is_replaced(
    serve: Callable[..., Awaitable[RawServer]],
) -> None:
    async def respond(n: int) -> bytes | None:
        # Request 2 arrives on a connection the server then drops without answering: as if
        # it had closed the idle connection just when the request was written.
        return None if n == 2 else ok()

    server = await serve(respond)
    async with client() as http:
        assert (await http.get(server.url)).status_code == 200
        assert (await http.get(server.url)).status_code == 200
    assert server.connections == 2
    assert len(server.requests) == 3


async def test_slow_answer_is_a_read_timeout(serve: Callable[..., Awaitable[RawServer]]) -> None:
    async def respond(n: int) -> bytes:
        await asyncio.sleep(1.0)
        return ok()

    server = await serve(respond)
    async with client(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url)


async def test_refused_connection_is_a_connect_error() -> None:
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("http://127.0.0.1:9/")


async def test_garbage_is_a_protocol_error(serve: Callable[..., Awaitable[RawServer]]) -> None:
    async def respond(n: int) -> bytes:
        return b"SMTP ready\r\n\r\n"

    server = await serve(respond)
    async with client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(server.url)
