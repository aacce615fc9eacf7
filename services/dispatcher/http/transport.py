"""``KeepAliveTransport``: HTTP/1.1 over pooled asyncio streams, per origin.

Per request: wait for one of the origin's ``max_connections`` slots, take the most recently used
idle connection (or connect, through a proxy where one applies), write the request once, read
the whole response, and put the connection back on the idle stack unless either side asked to
close it. A server may close an idle connection just as a request is written on it; the request
is then sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

import httpx

from services.dispatcher.http.proxy import Proxy, proxy_for
from services.dispatcher.http.wire import (
    Stale,
    close_quietly,
    has_token,
    read_body,
    read_head,
    request_head,
    tunnel,
)

_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over pooled asyncio streams; at most ``max_connections`` per origin."""

    def __init__(
        self,
        *,
        max_connections: int = 32,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
    ) -> None:
        self._max = max_connections
        self._ssl = ssl_context
        self._proxy = proxy
        self._proxies: dict[tuple[str, str, int], Proxy | None] = {}
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._slots: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._busy: set[asyncio.StreamWriter] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a pooled connection and read the whole response."""
        if self._closed:
            raise httpx.ConnectError("transport closed", request=request)
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        origin = (url.scheme, url.host, port)
        timeouts = request.extensions.get("timeout", {})
        pool_timeout = timeouts.get("pool")
        slots = self._slots.setdefault(origin, asyncio.Semaphore(self._max))
        try:
            async with asyncio.timeout(pool_timeout):
                await slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout("no free connection", request=request) from exc
        try:
            return await self._exchange(request, origin, timeouts)
        finally:
            slots.release()

    async def _exchange(
        self, request: httpx.Request, origin: tuple[str, str, int], timeouts: dict[str, float]
    ) -> httpx.Response:
        body = await request.aread()
        if origin not in self._proxies:
            self._proxies[origin] = proxy_for(origin[0], origin[1], self._proxy)
        proxy = self._proxies[origin]
        # Plain HTTP through a proxy: the request names the whole URL (absolute form).
        forward = proxy if proxy is not None and origin[0] == "http" else None
        head = request_head(request, body, forward)
        idle = self._idle.setdefault(origin, [])
        # A server may close an idle kept-alive connection just as a request is written on it;
        # it then answers nothing (it never read the request), and the request is sent once
        # more on a new connection. Anything else is raised.
        for reused in (True, False):
            conn = _take_idle(idle) if reused else None
            if reused and conn is None:
                continue
            if conn is None:
                conn = await self._connect(request, origin, proxy, timeouts.get("connect"))
            reader, writer = conn
            self._busy.add(writer)
            try:
                writer.write(head + body)
                async with asyncio.timeout(timeouts.get("read")):
                    await writer.drain()
                    status, headers, keep_alive = await read_head(reader)
                    content = await read_body(reader, status, headers)
                keep_alive = keep_alive and not has_token(headers, b"connection", b"close")
            except TimeoutError as exc:
                close_quietly(writer)
                raise httpx.ReadTimeout("timed out reading the response", request=request) from exc
            except (ConnectionError, asyncio.IncompleteReadError, Stale) as exc:
                close_quietly(writer)
                if reused and isinstance(exc, (Stale, ConnectionResetError)):
                    continue
                raise httpx.RemoteProtocolError(
                    f"connection lost: {type(exc).__name__}", request=request
                ) from exc
            except ValueError as exc:
                close_quietly(writer)
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except BaseException:
                # Cancelled mid-exchange: the connection is in an unknown state.
                close_quietly(writer)
                raise
            finally:
                self._busy.discard(writer)
            if keep_alive and not self._closed:
                idle.append(conn)
            else:
                close_quietly(writer)
            return httpx.Response(status, headers=headers, content=content, request=request)
        raise httpx.RemoteProtocolError("no connection", request=request)  # pragma: no cover

    async def _connect(
        self,
        request: httpx.Request,
        origin: tuple[str, str, int],
        proxy: Proxy | None,
        timeout: float | None,
    ) -> _Conn:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._ssl or ssl.create_default_context()
        try:
            async with asyncio.timeout(timeout):
                if proxy is None:
                    return await asyncio.open_connection(host, port, ssl=context)
                reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
                if context is None:
                    return reader, writer
                try:
                    await tunnel(reader, writer, host, port, proxy)
                    await writer.start_tls(context, server_hostname=host)
                except BaseException:
                    close_quietly(writer)
                    raise
                return reader, writer
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except (OSError, ValueError, asyncio.IncompleteReadError, Stale) as exc:
            via = f" via proxy {proxy.host}:{proxy.port}" if proxy else ""
            raise httpx.ConnectError(
                f"connect to {host}:{port}{via}: {exc}", request=request
            ) from exc

    async def aclose(self) -> None:
        """Close every connection, idle or in use (its request then fails)."""
        self._closed = True
        writers = [writer for conns in self._idle.values() for _, writer in conns]
        writers += self._busy
        self._idle.clear()
        self._busy.clear()
        for writer in writers:
            close_quietly(writer)
        for writer in writers:
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _take_idle(idle: list[_Conn]) -> _Conn | None:
    """The most recently used idle connection the server has not closed (no syscall needed:
    the event loop already delivered the EOF to the stream)."""
    while idle:
        conn = idle.pop()
        if not conn[0].at_eof() and not conn[1].is_closing():
            return conn
        close_quietly(conn[1])
    return None
