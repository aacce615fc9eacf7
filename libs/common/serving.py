"""Running services: the ``Service`` shape every ``build()`` returns, and uvicorn serving.

Every way of running a service goes through here: ``python -m services.<name>`` and
``wxhub serve <name>`` call :func:`main`, ``wxhub dev`` calls :func:`serve_services` with all five.

Start-up order matters for "nothing accepted is lost or sent twice": the HTTP ports are bound
first, and only then do the services start their bus consumers. A replacement process that cannot
get its port (``EADDRINUSE``: the old one still runs) exits non-zero before it has claimed a
single message from a queue.

Operations port: probes and ``/metrics`` answer on the service's port unless
``WXHUB_<SERVICE>_OPS_PORT`` is set (production, so public callbacks and internal scraping are
separate listeners); then the public port answers those paths with the common 404 and the ops
port answers only them.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from libs.common.corking import CorkedTransport
from libs.common.http_errors import not_found_app
from libs.common.observability.access_log import AccessLog
from libs.common.observability.health import OPS_PATHS
from libs.common.observability.logging import configure_logging, get_logger
from libs.common.observability.metrics import SERVICE_UP
from libs.common.resources import Resources, open_resources
from libs.common.settings import CommonSettings

log = get_logger(__name__)

SettingsT = TypeVar("SettingsT", bound=CommonSettings)


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

    @property
    def ops_port(self) -> int | None:
        """Separate port for probes and metrics, or ``None`` to serve them on :attr:`port`."""

    async def start(self) -> None:
        """Start background work (bus consumers, heartbeat) once the HTTP ports are bound."""

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


class PortUnavailable(OSError):
    """A service's HTTP port could not be bound (another process holds it, or no permission)."""


def bind(host: str, port: int, *, backlog: int = 4096) -> socket.socket:
    """A listening TCP socket on ``host:port``; raises :class:`PortUnavailable` with the cause.

    Created with ``IPPROTO_TCP`` explicitly: asyncio sets TCP_NODELAY only on accepted sockets
    whose protocol says TCP, and without it small responses wait ~40 ms for a delayed ACK.
    """
    sock: socket.socket | None = None
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise PortUnavailable(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


class _PathSplit:
    """Sends requests for ``paths`` to ``inside`` and everything else to ``outside``."""

    def __init__(self, paths: frozenset[str], inside: ASGIApp, outside: ASGIApp) -> None:
        self._paths = paths
        self._inside = inside
        self._outside = outside

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._inside if scope.get("path") in self._paths else self._outside
        await app(scope, receive, send)


def listeners(service: Service) -> list[tuple[int, ASGIApp]]:
    """(port, app) pairs a service serves: one, or the public and the ops port when split."""
    ops_port = service.ops_port
    if ops_port is None or ops_port == service.port:
        return [(service.port, service.app)]
    return [
        (service.port, _PathSplit(OPS_PATHS, not_found_app, service.app)),
        (ops_port, _PathSplit(OPS_PATHS, service.app, not_found_app)),
    ]


def freeze_startup_heap() -> None:
    """Take what start-up allocated out of the cyclic garbage collector's full collections.

    A generation-2 collection walks every tracked object, and most of them are modules, classes,
    SQLAlchemy mappers and the like made at start-up that live as long as the process: each full
    collection stopped the event loop for 90–250 ms under load (every message in flight waited;
    see "bench-cs" in docs/performance.md). ``gc.freeze()`` moves them to the permanent
    generation, so later full collections only walk what was allocated since (under 20 ms).
    """
    gc.collect()
    gc.freeze()


async def serve_services(
    services: Sequence[Service],
    host: str,
    *,
    stop: asyncio.Event | None = None,
    freeze_heap: bool = False,
) -> None:
    """Bind every port, start the services, serve until SIGINT/SIGTERM, stop them in reverse.

    With ``stop`` given, serve until it is set instead of installing signal handlers. With
    ``freeze_heap`` (a process of its own), the heap is frozen once the services have started
    (:func:`freeze_startup_heap`).
    """
    bound: list[tuple[socket.socket, ASGIApp, int]] = []
    try:
        for service in services:
            for port, app in listeners(service):
                bound.append((bind(host, port), app, port))
    except PortUnavailable:
        for sock, _app, _port in bound:
            sock.close()
        raise
    servers = [(make_server(app, host, port), sock) for sock, app, port in bound]
    started: list[Service] = []
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    signals: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
            signals.append(sig)
    waiter = asyncio.create_task(stop.wait())
    try:
        for service in services:
            await service.start()
            started.append(service)
            SERVICE_UP.labels(service.name).set(1)
        if freeze_heap:
            freeze_startup_heap()
        tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task in tasks and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        waiter.cancel()
        for sig in signals:
            loop.remove_signal_handler(sig)
        for server, _sock in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for _server, sock in servers:
            sock.close()
        for service in reversed(started):
            SERVICE_UP.labels(service.name).set(0)
            try:
                await service.stop()
            except Exception:
                log.exception("service_stop_failed", service=service.name)


class _AccessLogged:
    """A service whose HTTP app writes an access log line per request."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._app = AccessLog(service.app, service.name)

    @property
    def name(self) -> str:
        return self._service.name

    @property
    def app(self) -> ASGIApp:
        return self._app

    @property
    def port(self) -> int:
        return self._service.port

    @property
    def ops_port(self) -> int | None:
        return self._service.ops_port

    async def start(self) -> None:
        await self._service.start()

    async def stop(self) -> None:
        await self._service.stop()


def build_service(
    settings: SettingsT, resources: Resources, build: Callable[[SettingsT, Resources], Service]
) -> Service:
    """The service; its HTTP app behind :class:`AccessLog` when ``log_access`` is on."""
    service = build(settings, resources)
    return _AccessLogged(service) if settings.log_access else service


async def serve_standalone(
    settings: SettingsT, build: Callable[[SettingsT, Resources], Service]
) -> None:
    """One service on its own connections: connect, serve until SIGTERM, disconnect."""
    configure_logging(settings.log_level, json=settings.log_json)
    resources = await open_resources(settings)
    try:
        await serve_services(
            [build_service(settings, resources, build)], settings.host, freeze_heap=True
        )
    finally:
        await resources.close()


def main(settings_class: type[SettingsT], build: Callable[[SettingsT, Resources], Service]) -> int:
    """The process entry of ``python -m services.<name>`` and ``wxhub serve <name>``.

    Returns the exit status: 0 after a signal, 1 when a port is taken (nothing was consumed).
    """
    skip_sniffio_probe()
    try:
        run(serve_standalone(settings_class(), build))
    except PortUnavailable as exc:
        log.error("port_unavailable", error=str(exc))
        return 1
    return 0


def skip_sniffio_probe() -> None:
    """Make httpcore's per-request ``import sniffio`` fail fast when sniffio is not installed.

    httpcore imports it each time it creates a lock or event (several per request); a missing
    module is searched for on sys.path every time, which profiled at ~10 % of the dispatcher's
    CPU. A ``None`` entry in ``sys.modules`` makes the import fail at once, with the same result.
    """
    try:
        import sniffio  # noqa: F401
    except ImportError:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def run(coro: Any) -> None:
    """Run an async main on uvloop (faster sockets and timers than the default loop)."""
    import uvloop

    uvloop.run(coro)
