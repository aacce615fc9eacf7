"""Run an ASGI app on a real loopback socket inside the current event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Install nothing: the embedding process owns SIGINT/SIGTERM."""
        yield


@dataclass
class RunningServer:
    """A started server: where it listens and how to stop it."""

    host: str
    port: int
    _server: _Server
    _task: asyncio.Task[None]
    scheme: str = "http"

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:8090``."""
        return f"{self.scheme}://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting, finish in-flight requests and wait for shutdown."""
        self._server.should_exit = True
        await self._task


async def serve(
    app: Any,
    host: str,
    port: int,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    websockets: bool = False,
) -> RunningServer:
    """Start ``app`` on ``host:port`` (0 picks a free port) and return once it accepts.

    With ``ssl_certfile``/``ssl_keyfile`` it speaks HTTPS (like the real WeChat API); with
    ``websockets`` it also accepts WebSocket upgrades (an admin API under test).

    Raises ``OSError`` when the address cannot be bound and ``RuntimeError`` when the app fails
    to start (e.g. its lifespan startup raises).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    bound_port: int = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        ws="websockets-sansio" if websockets else "none",
        # Every app served here is ASGI 3; uvicorn would guess ASGI 2 for a bound method.
        interface="asgi3",
        lifespan="auto",
        timeout_graceful_shutdown=5,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = _Server(config)
    task = asyncio.create_task(_run(server, sock), name=f"serve {host}:{bound_port}")
    while not server.started:
        if task.done():
            sock.close()
            task.result()
            raise RuntimeError(f"server on {host}:{bound_port} stopped during startup")
        await asyncio.sleep(0.005)
    scheme = "https" if ssl_certfile else "http"
    return RunningServer(host, bound_port, server, task, scheme)


async def _run(server: _Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:
        # uvicorn reports a failed startup with sys.exit(); in a shared loop that would
        # escape the task and tear down the whole process.
        raise RuntimeError(f"server failed to start (exit code {exc.code})") from None
    finally:
        sock.close()
