"""PipelinedRedis over TLS (``rediss://``) and through Sentinel (``redis+sentinel://``), against
the real Redis: a TLS front on loopback forwarding to it, and a real Sentinel (``redis-server
--sentinel``) monitoring it."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from libs.common.redis_pipeline import PipelinedRedis, RedisError
from tests.support import in_ci, self_signed_cert

pytestmark = pytest.mark.redis


@pytest.fixture
async def tls_front(redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """A TLS listener on loopback piping to the real Redis; (port, CA file)."""
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    target = urlsplit(redis_url)
    tasks: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.close()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port or 6379)
        writers.extend([writer, up_writer])
        for coro in (pipe(reader, up_writer), pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            tasks.add(task)

    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=context)
    yield server.sockets[0].getsockname()[1], cert
    server.close()
    for writer in writers:
        writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_rediss_speaks_tls_and_verifies_the_server(
    tls_front: tuple[int, Path], redis_url: str
) -> None:
    port, ca = tls_front
    db = urlsplit(redis_url).path
    key = f"test:tls:{uuid.uuid4().hex}"
    client = PipelinedRedis(f"rediss://127.0.0.1:{port}{db}?ssl_ca_certs={ca}")
    try:
        assert await client.execute("SET", key, "over tls", "EX", 60) == b"OK"
        assert await client.execute("GET", key) == b"over tls"
    finally:
        await client.execute("DEL", key)
        await client.close()

    untrusted = PipelinedRedis(f"rediss://127.0.0.1:{port}{db}", connect_timeout_s=2)
    with pytest.raises(RedisError, match="CERTIFICATE_VERIFY_FAILED"):
        await untrusted.execute("PING")
    await untrusted.close()

    unverified = PipelinedRedis(f"rediss://127.0.0.1:{port}{db}?ssl_cert_reqs=none")
    assert await unverified.execute("PING") == b"PONG"
    await unverified.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def sentinel(redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[int, str]]:
    """A real Sentinel on a free port monitoring the real Redis; (port, service name)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if in_ci():
            pytest.fail("redis-server (for redis-server --sentinel) is not installed")
        pytest.skip("redis-server is not installed")
    target = urlsplit(redis_url)
    port, service = _free_port(), f"wxhubtest{uuid.uuid4().hex[:8]}"
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {service} {target.hostname} {target.port or 6379} 1\n"
    )
    process = subprocess.Popen(
        [binary, str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            await asyncio.sleep(0.05)
        yield port, service
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_sentinel_url_finds_the_master_past_a_dead_sentinel(
    sentinel: tuple[int, str], redis_url: str
) -> None:
    port, service = sentinel
    db = urlsplit(redis_url).path.strip("/")
    dead = _free_port()
    key = f"test:sentinel:{uuid.uuid4().hex}"
    client = PipelinedRedis(f"redis+sentinel://127.0.0.1:{dead},127.0.0.1:{port}/{service}/{db}")
    direct = PipelinedRedis(redis_url)
    try:
        assert await client.execute("SET", key, "via sentinel", "EX", 60) == b"OK"
        # The same key, in the same database, as a plain connection to the master sees it.
        assert await direct.execute("GET", key) == b"via sentinel"
    finally:
        await direct.execute("DEL", key)
        await direct.close()
        await client.close()

    unknown = PipelinedRedis(f"redis+sentinel://127.0.0.1:{port}/no-such-service")
    with pytest.raises(RedisError, match="no Sentinel named the master"):
        await unknown.execute("PING")
    await unknown.close()


def test_a_sentinel_url_must_name_the_service() -> None:
    with pytest.raises(ValueError, match="names the service"):
        PipelinedRedis("redis+sentinel://127.0.0.1:26379")
