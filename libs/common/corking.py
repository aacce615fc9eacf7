"""Write coalescing ("corking") for asyncio transports.

On loopback and LAN links a ``send()`` system call costs about as much as the Python work behind a
small message, and the libraries on our hot paths write piecemeal: uvicorn sends a response's head
and body separately, aiormq sends every AMQP frame (publish, ack, reply) on its own. A
:class:`CorkedTransport` holds what is written during one event-loop turn and sends it as one
write at the start of the next turn, so a burst of frames or a response leaves in one system call.
The added delay is one loop turn (microseconds); nothing is reordered.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast


class CorkedTransport:
    """Wraps a transport: writes made in the same loop turn go out as one ``write``.

    Everything but writing and closing is delegated to the wrapped transport, so it can stand in
    for it wherever a protocol or a ``StreamWriter`` expects one.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.BaseTransport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        # Callers may reuse a bytearray or memoryview after write() returns: keep a copy.
        self._pending.append(data if isinstance(data, bytes) else bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what is pending now."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if self._transport.is_closing():
            return  # the connection is gone; so is whatever was still to be sent
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def as_transport(self) -> asyncio.Transport:
        """This wrapper, typed as the transport it stands in for."""
        return cast(asyncio.Transport, self)


async def open_corked_connection(
    host: str, port: int, *, limit: int = 2**16, **kwargs: Any
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` whose writer corks each loop turn's writes into one."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port, **kwargs)
    writer = asyncio.StreamWriter(
        CorkedTransport(transport, loop).as_transport(), protocol, reader, loop
    )
    return reader, writer
