"""HTTP/1.1 framing: the request head written, the response head and body read.

One write per request (head + body with ``Content-Length``); responses with ``Content-Length``
or chunked bodies. Anything unusual (an upgrade, a response without a length on a kept-alive
connection) marks the connection for closing. ``https`` through a proxy starts with a
``CONNECT`` tunnel. A connection the server closed before answering raises :class:`Stale`, so
the transport may send once more on a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

import httpx

from services.dispatcher.http.proxy import Proxy

_MAX_HEADER_BYTES = 64 * 1024


class Stale(Exception):
    """The server closed a kept-alive connection before answering."""


async def tunnel(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int, proxy: Proxy
) -> None:
    """Ask the proxy for a TCP tunnel to ``host:port``; raises ValueError unless it agrees."""
    authority = f"{host}:{port}".encode()
    lines = [b"CONNECT " + authority + b" HTTP/1.1", b"Host: " + authority]
    if proxy.authorization:
        lines.append(b"Proxy-Authorization: " + proxy.authorization)
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    await writer.drain()
    status, _headers, _keep_alive = await read_head(reader)
    if status != 200:
        raise ValueError(f"proxy refused CONNECT with status {status}")


def request_head(request: httpx.Request, body: bytes, proxy: Proxy | None = None) -> bytes:
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


async def read_head(reader: asyncio.StreamReader) -> tuple[int, list[tuple[bytes, bytes]], bool]:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise Stale() from exc
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
    keep_alive = parts[0] == b"HTTP/1.1" and not has_token(headers, b"connection", b"close")
    return status, headers, keep_alive


async def read_body(
    reader: asyncio.StreamReader, status: int, headers: list[tuple[bytes, bytes]]
) -> bytes:
    if status in (204, 304) or 100 <= status < 200:
        return b""
    if has_token(headers, b"transfer-encoding", b"chunked"):
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
    length = header_value(headers, b"content-length")
    if length is None:
        # No length: the body runs to the end of the connection (which then is not reused).
        headers.append((b"connection", b"close"))
        return await reader.read()
    return await reader.readexactly(int(length))


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def has_token(headers: Iterable[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    value = header_value(headers, name)
    return value is not None and token in value.lower()


def close_quietly(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()
