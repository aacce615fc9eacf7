from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandboxes.server import serve


async def hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


def hello_app() -> Starlette:
    return Starlette(routes=[Route("/", hello)])


async def test_port_zero_binds_a_real_port_and_serves() -> None:
    first = await serve(hello_app(), "127.0.0.1", 0)
    second = await serve(hello_app(), "127.0.0.1", 0)
    try:
        assert first.port != 0
        assert first.port != second.port
        assert first.url == f"http://127.0.0.1:{first.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(first.url)).text == "hello"
            assert (await client.get(second.url)).text == "hello"
    finally:
        await first.stop()
        await second.stop()


async def test_stop_closes_the_port() -> None:
    server = await serve(hello_app(), "127.0.0.1", 0)
    await server.stop()

    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass


async def test_busy_port_raises_oserror() -> None:
    server = await serve(hello_app(), "127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            await serve(hello_app(), "127.0.0.1", server.port)
    finally:
        await server.stop()


async def test_signal_handlers_are_left_alone() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    server = await serve(hello_app(), "127.0.0.1", 0)
    during = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    await server.stop()

    assert during == before


async def test_failing_startup_raises_instead_of_exiting() -> None:
    @contextlib.asynccontextmanager
    async def broken(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError):
        await serve(Starlette(lifespan=broken), "127.0.0.1", 0)
