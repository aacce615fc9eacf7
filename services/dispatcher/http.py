"""A lean HTTP/1.1 keep-alive transport for the dispatcher's ``httpx.AsyncClient``.

Profiling the dispatcher at ~1,000 sends/s showed httpcore's connection pool spending most of
the process's CPU on bookkeeping (per request: scanning every pooled connection and waiting
request, a readability probe per idle socket, several lock objects). The dispatcher only sends
small JSON requests to two hosts (WeChat, the SMS gateway), so this transport does just that:
a LIFO stack of idle asyncio stream connections per origin, one write per request,
``Content-Length`` or chunked response bodies. Anything unusual (an upgrade, a response without
a length on a kept-alive connection) closes the connection. Errors map to the ``httpx``
exceptions callers already handle (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError``…).

Proxies (a fund company may reach WeChat only through one): an explicit ``proxy`` URL, else
``HTTPS_PROXY``/``HTTP_PROXY`` from the environment; ``NO_PROXY`` exempts hosts in both cases.
``https`` origins are tunnelled with ``CONNECT`` and TLS is started inside the tunnel; ``http``
origins are sent to the proxy in absolute form. ``user:password@`` in the proxy URL becomes
``Proxy-Authorization: Basic``. Pooled connections stay per origin, so a tunnel is reused.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from json import dumps
from typing import Any

import httpx

_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Proxy:
    """Where to connect instead of the origin, and the header that authenticates us there."""

    host: str
    port: int
    authorization: bytes | None

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """``http://[user:password@]host[:port]`` (only plain-HTTP proxies are supported)."""
        parsed = httpx.URL(url if "://" in url else f"http://{url}")
        if parsed.scheme != "http":
            raise ValueError(f"unsupported proxy scheme {parsed.scheme!r} (use http://)")
        authorization = None
        if parsed.username:
            token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode())
            authorization = b"Basic " + token
        return cls(parsed.host, parsed.port or 80, authorization)


def proxy_for(scheme: str, host: str, explicit: str | None) -> Proxy | None:
    """The proxy for an origin: ``explicit``, else the environment's; None when exempt."""
    environment = urllib.request.getproxies_environment()
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if environment.get("no") and bypass(host, environment):
        return None
    url = explicit or environment.get(scheme)
    return Proxy.parse(url) if url else None


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
        head = _request_head(request, body, forward)
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
                    status, headers, keep_alive = await _read_head(reader)
                    content = await _read_body(reader, status, headers)
                keep_alive = keep_alive and not _has_token(headers, b"connection", b"close")
            except TimeoutError as exc:
                _close(writer)
                raise httpx.ReadTimeout("timed out reading the response", request=request) from exc
            except (ConnectionError, asyncio.IncompleteReadError, _Stale) as exc:
                _close(writer)
                if reused and isinstance(exc, (_Stale, ConnectionResetError)):
                    continue
                raise httpx.RemoteProtocolError(
                    f"connection lost: {type(exc).__name__}", request=request
                ) from exc
            except ValueError as exc:
                _close(writer)
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except BaseException:
                # Cancelled mid-exchange: the connection is in an unknown state.
                _close(writer)
                raise
            finally:
                self._busy.discard(writer)
            if keep_alive and not self._closed:
                idle.append(conn)
            else:
                _close(writer)
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
                    await _tunnel(reader, writer, host, port, proxy)
                    await writer.start_tls(context, server_hostname=host)
                except BaseException:
                    _close(writer)
                    raise
                return reader, writer
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except (OSError, ValueError, asyncio.IncompleteReadError, _Stale) as exc:
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
            _close(writer)
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
        _close(conn[1])
    return None


def _url_key(url: object, params: object) -> tuple[str, tuple[tuple[str, Any], ...]] | None:
    """A cache key for an absolute string URL with string query params, else None."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    if params is None:
        return url, ()
    if not isinstance(params, Mapping) or not all(
        isinstance(v, str | int) for v in params.values()
    ):
        return None
    return url, tuple(sorted(params.items()))


class _Stale(Exception):
    """The server closed a kept-alive connection before answering."""


async def _tunnel(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int, proxy: Proxy
) -> None:
    """Ask the proxy for a TCP tunnel to ``host:port``; raises ValueError unless it agrees."""
    authority = f"{host}:{port}".encode()
    lines = [b"CONNECT " + authority + b" HTTP/1.1", b"Host: " + authority]
    if proxy.authorization:
        lines.append(b"Proxy-Authorization: " + proxy.authorization)
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    await writer.drain()
    status, _headers, _keep_alive = await _read_head(reader)
    if status != 200:
        raise ValueError(f"proxy refused CONNECT with status {status}")


def _request_head(request: httpx.Request, body: bytes, proxy: Proxy | None = None) -> bytes:
    url = request.url
    target = url.raw_path or b"/"
    if proxy is not None:
        target = url.scheme.encode() + b"://" + url.netloc + target
    lines = [request.method.encode() + b" " + target + b" HTTP/1.1"]
    if proxy is not None and proxy.authorization:
        lines.append(b"Proxy-Authorization: " + proxy.authorization)
    has_host = False
    for name, value in request.headers.raw:
        lower = name.lower()
        if lower in (b"content-length", b"transfer-encoding", b"connection"):
            continue
        has_host = has_host or lower == b"host"
        lines.append(name + b": " + value)
    if not has_host:
        lines.append(b"Host: " + url.netloc)
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, list[tuple[bytes, bytes]], bool]:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Stale() from exc
        raise
    except asyncio.LimitOverrunError as exc:
        raise ValueError("response head too large") from exc
    if len(raw) > _MAX_HEADER_BYTES:
        raise ValueError("response head too large")
    status_line, *header_lines = raw[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"bad status line {status_line[:80]!r}")
    status = int(parts[1])
    headers = []
    for line in header_lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError(f"bad header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    keep_alive = parts[0] == b"HTTP/1.1" and not _has_token(headers, b"connection", b"close")
    return status, headers, keep_alive


async def _read_body(
    reader: asyncio.StreamReader, status: int, headers: list[tuple[bytes, bytes]]
) -> bytes:
    if status in (204, 304) or 100 <= status < 200:
        return b""
    if _has_token(headers, b"transfer-encoding", b"chunked"):
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers (rare) end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = _header(headers, b"content-length")
    if length is None:
        # No length: the body runs to the end of the connection (which then is not reused).
        headers.append((b"connection", b"close"))
        return await reader.read()
    return await reader.readexactly(int(length))


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _has_token(headers: Iterable[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    value = _header(headers, name)
    return value is not None and token in value.lower()


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


class LeanAsyncClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose ``send`` goes straight to a :class:`KeepAliveTransport`.

    The dispatcher uses no auth, redirects, cookies or event hooks, and the transport returns
    fully read responses, so ``send`` skips httpx's per-request machinery for them (about a
    tenth of the dispatcher's CPU at 1,000 sends/s). Requests are still built by httpx.
    """

    def __init__(self, transport: KeepAliveTransport, *, timeout: httpx.Timeout) -> None:
        super().__init__(transport=transport, timeout=timeout)
        self._lean = transport
        self._timeouts = timeout.as_dict()
        self._urls: dict[tuple[str, tuple[tuple[str, Any], ...]], httpx.URL] = {}

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: Any = None,
    ) -> httpx.Request:
        """Like httpx's, but an absolute URL with its query is parsed once, not per request.

        The WeChat client sends every call as (absolute URL, ``access_token`` param, bytes),
        the SMS channel as (absolute URL, JSON): those are served from a small cache; anything
        else goes the general way.
        """
        key = _url_key(url, params)
        if (
            key is None
            or data is not None
            or files is not None
            or (json is not None and content is not None)
            or cookies is not None
            or extensions is not None
            or timeout is not httpx.USE_CLIENT_DEFAULT
        ):
            return super().build_request(
                method,
                url,
                content=content,
                data=data,
                files=files,
                json=json,
                params=params,
                headers=headers,
                cookies=cookies,
                timeout=timeout,
                extensions=extensions,
            )
        full = self._urls.get(key)
        if full is None:
            full = httpx.URL(key[0], params=dict(key[1])) if key[1] else httpx.URL(key[0])
            if len(self._urls) >= 256:
                self._urls.clear()  # tokens rotate every ~2 h: old entries are dead anyway
            self._urls[key] = full
        merged = self.headers.copy()
        if json is not None:
            # As httpx encodes it: compact UTF-8, non-ASCII unescaped.
            content = dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            content = content.encode()
            merged["Content-Type"] = "application/json"
        if headers:
            merged.update(headers)
        return httpx.Request(
            method, full, content=content, headers=merged, extensions={"timeout": self._timeouts}
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """Send ``request`` on the transport; the response body is already read."""
        response = await self._lean.handle_async_request(request)
        response.request = request
        return response
