"""A lean HTTP/1.1 keep-alive load generator for pre-built requests (closed loop or fixed rate)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What a run measured."""

    sent: int = 0
    ok: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one pre-built request on a keep-alive connection; its status and body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    concurrency: int,
    rate: float | None = None,
    expect: bytes = b"",
    seconds: float | None = None,
    cycle: bool = False,
    status: int = 200,
) -> LoadResult:
    """Send every request once over ``concurrency`` connections; ``rate`` paces sends (per second).

    ``seconds`` stops sending after that long; ``cycle`` sends the requests round and round until
    then (for servers that do not deduplicate). A response counts as ok when its status is
    ``status`` and its body contains ``expect``.
    """
    result = LoadResult()
    start = time.perf_counter()
    stop_at = start + seconds if seconds else float("inf")
    sent = 0

    def take() -> tuple[float, bytes] | None:
        nonlocal sent
        if (sent >= len(requests) and not cycle) or time.perf_counter() >= stop_at:
            return None
        index = sent
        sent += 1
        return (start + index / rate if rate else 0.0), requests[index % len(requests)]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                taken = take()
                if taken is None:
                    return
                due, request = taken
                if rate:
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                # Fixed rate: latency counts from when the request was due (no coordinated
                # omission).
                sent_at = due if rate else time.perf_counter()
                result.sent += 1
                try:
                    answered, body = await exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    result.errors += 1
                    result.error_samples.append(repr(exc))
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latency = (time.perf_counter() - sent_at) * 1000
                if answered == status and expect in body:
                    result.ok += 1
                    result.latencies_ms.append(latency)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{answered} {body[:80]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


class ConnectionPool:
    """Up to ``size`` keep-alive connections to one server, each used by one request at a time:
    a request waits for a free connection (first come, first served)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host = host
        self.port = port
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(size):
            self._free.put_nowait(None)  # opened on first use

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One request; its status and body (a broken connection is replaced, and raises)."""
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: bench\r\n{head}Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        connection = await self._free.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self.host, self.port)
            answer = await exchange(*connection, request)
        except BaseException:
            if connection is not None:
                connection[1].close()
            self._free.put_nowait(None)
            raise
        self._free.put_nowait(connection)
        return answer

    async def close(self) -> None:
        """Close the idle connections."""
        while not self._free.empty():
            connection = self._free.get_nowait()
            if connection is not None:
                connection[1].close()
