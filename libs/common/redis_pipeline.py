"""A lean Redis client for hot paths: one connection, every command pipelined.

The callback ledger sends one small command per callback from the gateway and one from the engine.
redis-py spends more Python per command (pool checkout, retry wrapper, response callbacks) than
the command costs Redis, and one connection per concurrent command. Here commands are written to a
single connection as they come (writes in one loop turn leave together, see ``corking``) and
answered in order, parsed by hiredis. A connection that fails or stalls past ``command_timeout_s``
fails its pending commands and is replaced on the next call.

URLs: ``redis://``, ``rediss://`` (TLS; ``?ssl_ca_certs=<file>`` trusts a private CA,
``?ssl_cert_reqs=none`` skips verification) and
``redis+sentinel://[user:password@]host[:port][,host[:port]…]/<service>[/<db>]``: the master is
asked from the Sentinels on every (re)connect and checked with ``ROLE``; a ``READONLY`` reply
(the master was demoted by a failover) drops the connection so the next call finds the new one.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import ssl
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import hiredis

from libs.common.corking import CorkedTransport


class RedisError(Exception):
    """Redis answered with an error, or could not be reached in time."""


def encode_command(args: tuple[bytes | str | int, ...]) -> bytes:
    """A command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            value = arg.encode()
        elif isinstance(arg, int):
            value = b"%d" % arg
        else:
            value = arg
        parts.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


class Script:
    """A Lua script and its SHA1 digest."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.pending: collections.deque[tuple[float, asyncio.Future[Any]]] = collections.deque()
        self.transport: CorkedTransport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = CorkedTransport(transport, asyncio.get_running_loop())

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        pending = self.pending
        while (reply := self.reader.gets()) is not False:
            _, future = pending.popleft()
            if future.done():
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(RedisError(str(reply)))
                if str(reply).startswith("READONLY"):
                    # Demoted master: commands after this one go to a fresh connection.
                    self.closed = True
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisError(f"connection to Redis lost: {exc or 'closed'}"))

    def fail(self, error: Exception) -> None:
        self.closed = True
        while self.pending:
            _, future = self.pending.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()


def _host_port(text: str, default_port: int) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    return (host or "localhost"), int(port) if port else default_port


def _tls_context(query: dict[str, list[str]]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=query.get("ssl_ca_certs", [None])[0])
    if query.get("ssl_cert_reqs", [""])[0].lower() == "none":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class PipelinedRedis:
    """Redis over one pipelined connection (``redis://``, ``rediss://``, ``redis+sentinel://``)."""

    def __init__(
        self, url: str, *, connect_timeout_s: float = 5.0, command_timeout_s: float = 5.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"redis", "rediss", "redis+sentinel"}:
            raise ValueError(f"unsupported Redis URL scheme: {parts.scheme!r}")
        userinfo, _, hosts = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        self._username = unquote(user) if user else None
        self._password = unquote(password) if password else None
        path = [p for p in parts.path.split("/") if p]
        self._ssl = _tls_context(parse_qs(parts.query)) if parts.scheme == "rediss" else None
        self._sentinels: list[tuple[str, int]] = []
        self._service = ""
        if parts.scheme == "redis+sentinel":
            if not path:
                raise ValueError("a redis+sentinel:// URL names the service: …/<service>[/<db>]")
            self._sentinels = [_host_port(h, 26379) for h in hosts.split(",") if h]
            self._service, path = path[0], path[1:]
        self._host, self._port = _host_port(hosts, 6379) if not self._sentinels else ("", 0)
        self._db = int(path[0]) if path else 0
        self._connect_timeout_s = connect_timeout_s
        self._command_timeout_s = command_timeout_s
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None
        self._watchdog: asyncio.TimerHandle | None = None

    async def execute(self, *args: bytes | str | int) -> Any:
        """Send one command and return its reply; raises :class:`RedisError`."""
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self._connect()
        return await self._send(connection, args)

    async def _send(self, connection: _Connection, args: tuple[bytes | str | int, ...]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        connection.pending.append((time.monotonic(), future))
        assert connection.transport is not None
        connection.transport.write(encode_command(args))
        if self._watchdog is None:
            self._arm_watchdog()
        return await future

    async def evalsha(self, script: Script, keys: tuple[str, ...], *args: bytes | str | int) -> Any:
        """Run a Lua script by its digest, sending the source only if Redis does not know it."""
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except RedisError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.execute("EVAL", script.source, len(keys), *keys, *args)

    async def close(self) -> None:
        """Close the connection; pending commands fail."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        connection, self._connection = self._connection, None
        if connection is not None and not connection.closed:
            connection.fail(RedisError("client closed"))

    async def _connect(self) -> _Connection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is not None and not self._connection.closed:
                return self._connection
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(self._connect_timeout_s):
                    if self._sentinels:
                        self._host, self._port = await self._ask_sentinels()
                    _, connection = await loop.create_connection(
                        _Connection,
                        self._host,
                        self._port,
                        ssl=self._ssl,
                        server_hostname=self._host if self._ssl else None,
                    )
                    self._connection = connection
                    if self._password is not None:
                        user = (self._username,) if self._username else ()
                        await self._send(connection, ("AUTH", *user, self._password))
                    if self._db:
                        await self._send(connection, ("SELECT", self._db))
                    if self._sentinels:
                        role = await self._send(connection, ("ROLE",))
                        if role[0] != b"master":
                            raise RedisError(f"{self._host}:{self._port} is not the master")
            except (OSError, TimeoutError, RedisError) as exc:
                failed, self._connection = self._connection, None
                if failed is not None:
                    failed.fail(RedisError("handshake failed"))
                raise RedisError(
                    f"cannot connect to Redis at {self._host}:{self._port}: {exc}"
                ) from exc
            return connection

    async def _ask_sentinels(self) -> tuple[str, int]:
        """The master's address from the first Sentinel that knows the service."""
        errors = []
        for host, port in self._sentinels:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError as exc:
                errors.append(f"{host}:{port}: {exc}")
                continue
            try:
                command = ("SENTINEL", "get-master-addr-by-name", self._service)
                writer.write(encode_command(command))
                parser = hiredis.Reader()
                reply: Any = False
                while reply is False:
                    data = await reader.read(4096)
                    if not data:
                        break
                    parser.feed(data)
                    reply = parser.gets()
            finally:
                writer.close()
            if isinstance(reply, list) and len(reply) == 2:
                return reply[0].decode(), int(reply[1])
            errors.append(f"{host}:{port}: no master for {self._service!r} ({reply!r})")
        raise RedisError(f"no Sentinel named the master: {'; '.join(errors)}")

    def _arm_watchdog(self) -> None:
        self._watchdog = asyncio.get_running_loop().call_later(
            self._command_timeout_s / 2, self._check_stalled
        )

    def _check_stalled(self) -> None:
        # One timer for all commands: a reply overdue by command_timeout_s means the connection
        # is stuck, so it is dropped with everything pending on it.
        self._watchdog = None
        connection = self._connection
        if connection is None or connection.closed or not connection.pending:
            return
        sent_at, _ = connection.pending[0]
        if time.monotonic() - sent_at > self._command_timeout_s:
            connection.fail(RedisError(f"no reply from Redis in {self._command_timeout_s}s"))
            return
        self._arm_watchdog()
