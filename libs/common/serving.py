"""Running services: the ``Service`` shape every ``build()`` returns, and uvicorn serving."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Protocol

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from libs.common.corking import CorkedTransport
from libs.common.observability.logging import get_logger
from libs.common.observability.metrics import SERVICE_UP

log = get_logger(__name__)


class Service(Protocol):
    """A running part of wxhub: an HTTP app on a port plus background work (consumers, timers)."""

    @property
    def name(self) -> str:
        """Service name (``gateway``, ``engine``…)."""

    @property
    def app(self) -> ASGIApp:
        """The HTTP app (probes and metrics at least)."""

    @property
    def port(self) -> int:
        """Port the HTTP app listens on."""

    async def start(self) -> None:
        """Start background work (bus consumers, heartbeat); the HTTP server starts after."""

    async def stop(self) -> None:
        """Stop background work after the HTTP server has stopped taking requests."""


class _CorkedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol sending a response's head and body in one write."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        super().connection_made(CorkedTransport(transport, loop).as_transport())


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us, so several can share one loop."""

    def install_signal_handlers(self) -> None:
        return None


def make_server(app: ASGIApp, host: str, port: int, *, workers_hint: int = 1) -> uvicorn.Server:
    """A uvicorn server tuned for the callback hot path: uvloop, httptools, no access log."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="none",
        http=_CorkedHttpProtocol,
        lifespan="off",
        interface="asgi3",
        access_log=False,
        log_config=None,
        server_header=False,
        date_header=False,
        # Nothing reads the peer address uvicorn would rewrite from X-Forwarded-For (the admin
        # API's throttling reads the header itself), so skip the middleware on every request.
        proxy_headers=False,
        backlog=4096,
        timeout_keep_alive=75,
    )
    return _QuietServer(config)


async def serve_services(services: Sequence[Service], host: str) -> None:
    """Start the services, serve their HTTP apps until SIGINT/SIGTERM, then stop them in reverse."""
    for service in services:
        await service.start()
        SERVICE_UP.labels(service.name).set(1)
    servers = [make_server(s.app, host, s.port) for s in services]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    try:
        done, _ = await asyncio.wait(
            [asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task in tasks and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for service in reversed(services):
            SERVICE_UP.labels(service.name).set(0)
            try:
                await service.stop()
            except Exception:
                log.exception("service_stop_failed", service=service.name)


def run(coro_factory: object) -> None:
    """Run an async main on uvloop (faster sockets and timers than the default loop)."""
    import uvloop

    uvloop.run(coro_factory)  # type: ignore[arg-type]
