"""Serving: ports bound before consumers start, and the optional separate operations port."""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from libs.common.observability.health import probe_routes
from libs.common.serving import PortUnavailable, bind, serve_services
from wxhub.processes import free_port


class _Probe:
    """A service with a public route and the probes; records whether it was started."""

    name = "probe"

    def __init__(self, port: int, ops_port: int | None) -> None:
        self.port = port
        self.ops_port = ops_port
        self.started = False

        async def hello(_request: Request) -> PlainTextResponse:
            return PlainTextResponse("hello")

        self.app = Starlette(routes=[Route("/hello", hello), *probe_routes(self.name, {})])

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False


async def _serving(
    service: _Probe, *, freeze_heap: bool = False
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_services([service], "127.0.0.1", stop=stop, freeze_heap=freeze_heap)
    )
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{service.port}/hello")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.02)
    return stop, task


async def test_probes_and_metrics_move_to_the_ops_port_when_one_is_set() -> None:
    service = _Probe(free_port(), free_port())
    stop, task = await _serving(service)
    try:
        async with httpx.AsyncClient() as client:
            public = f"http://127.0.0.1:{service.port}"
            ops = f"http://127.0.0.1:{service.ops_port}"
            assert (await client.get(f"{public}/hello")).text == "hello"
            hidden = await client.get(f"{public}/metrics")
            assert hidden.status_code == 404
            assert hidden.json()["code"] == "not_found"
            assert (await client.get(f"{ops}/metrics")).status_code == 200
            assert (await client.get(f"{ops}/healthz")).json()["status"] == "ok"
            assert (await client.get(f"{ops}/hello")).status_code == 404
    finally:
        stop.set()
        await task
    assert not service.started


async def test_without_an_ops_port_everything_answers_on_the_service_port() -> None:
    service = _Probe(free_port(), None)
    stop, task = await _serving(service)
    try:
        async with httpx.AsyncClient() as client:
            base = f"http://127.0.0.1:{service.port}"
            assert (await client.get(f"{base}/hello")).text == "hello"
            assert (await client.get(f"{base}/metrics")).status_code == 200
    finally:
        stop.set()
        await task


async def test_a_process_of_its_own_freezes_its_heap_once_the_services_have_started() -> None:
    gc.unfreeze()
    service = _Probe(free_port(), None)
    stop, task = await _serving(service, freeze_heap=True)
    try:
        assert service.started
        assert gc.get_freeze_count() > 0
    finally:
        stop.set()
        await task
        gc.unfreeze()


async def test_serving_inside_another_process_leaves_its_heap_alone() -> None:
    frozen = gc.get_freeze_count()
    service = _Probe(free_port(), None)
    stop, task = await _serving(service)
    stop.set()
    await task
    assert gc.get_freeze_count() == frozen


@pytest.mark.parametrize("taken", ["port", "ops_port"])
async def test_a_taken_port_fails_before_the_service_starts(taken: str) -> None:
    ports: dict[str, Any] = {"port": free_port(), "ops_port": free_port()}
    with socket.create_server(("127.0.0.1", ports[taken])):
        service = _Probe(ports["port"], ports["ops_port"])
        with pytest.raises(PortUnavailable, match=str(ports[taken])):
            await serve_services([service], "127.0.0.1", stop=asyncio.Event())
    assert not service.started
    # The other port was released again: a second attempt can bind both.
    service = _Probe(ports["port"], ports["ops_port"])
    stop, task = await _serving(service)
    stop.set()
    await task


def test_listening_sockets_say_tcp_so_accepted_connections_get_nodelay() -> None:
    with bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
