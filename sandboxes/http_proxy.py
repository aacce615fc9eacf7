"""A small forward HTTP proxy on loopback, standing in for a company's outbound proxy.

CONNECT requests get a TCP tunnel; absolute-form requests are forwarded to their origin as they
are. It records what passes (request lines, tunnels) so tests can see the traffic crossed it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import httpx


@dataclass
class LoopbackProxy:
    """A small forward proxy: CONNECT tunnels and absolute-form HTTP/1.1 requests."""

    port: int = 0
    request_lines: list[str] = field(default_factory=list)
    tunnels: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ")
            if method == "CONNECT":
                self.tunnels += 1
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                return
            # Absolute form: forward this and the following requests of the connection as-is.
            url = httpx.URL(target)
            up_reader, up_writer = await asyncio.open_connection(url.host, url.port)
            self.request_lines.append(line)
            up_writer.write(head)
            await asyncio.gather(
                _forward(reader, up_writer, self.request_lines), _pipe(up_reader, writer)
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _forward(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lines: list[str]
) -> None:
    """Client → upstream, noting each further request line (keep-alive reuse)."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            for chunk in data.split(b"\r\n"):
                if chunk.startswith((b"POST http", b"GET http")):
                    lines.append(chunk.decode())
            writer.write(data)
            await writer.drain()
    writer.close()
