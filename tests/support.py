"""Helpers shared by the whole test suite (fixtures stay in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os


def in_ci() -> bool:
    """True when running under CI, where real servers are mandatory."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class RedisFront:
    """A loopback TCP server in front of the real Redis: forwards, hangs up, or stays silent."""

    def __init__(self, redis_url: str) -> None:
        host_port = redis_url.split("//", 1)[1].split("/", 1)[0]
        self._target = host_port.rsplit(":", 1)
        self._db = redis_url.rsplit("/", 1)[1]
        self.mode = "hangup"
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/{self._db}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.mode == "hangup":
            writer.close()
            return
        if self.mode == "silent":
            await reader.read()  # never answers; the client gives up
            writer.close()
            return
        host, port = self._target
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        self._writers.append(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        for task in (pipe(reader, up_writer), pipe(up_reader, writer)):
            created = asyncio.create_task(task)
            self._tasks.add(created)
            created.add_done_callback(self._tasks.discard)
