"""PipelinedRedis against the real Redis server, and against a server that never answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from libs.common.redis_pipeline import PipelinedRedis, RedisError, Script, encode_command
from tests.polling import eventually


def test_commands_are_encoded_as_resp_arrays() -> None:
    assert (
        encode_command(("SET", b"k\r\n", 42)) == b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n42\r\n"
    )
    assert (
        encode_command(("GET", "ключ")) == b"*2\r\n$3\r\nGET\r\n$8\r\n" + "ключ".encode() + b"\r\n"
    )


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[PipelinedRedis]:
    client = PipelinedRedis(redis_url)
    yield client
    await client.close()


@pytest.fixture
def prefix() -> str:
    return f"test:pipe:{uuid.uuid4().hex}:"


@pytest.mark.redis
async def test_concurrent_commands_each_get_their_own_reply(
    redis: PipelinedRedis, prefix: str
) -> None:
    await asyncio.gather(*(redis.execute("SET", f"{prefix}{n}", n, "EX", 60) for n in range(300)))
    values = await asyncio.gather(*(redis.execute("GET", f"{prefix}{n}") for n in range(300)))
    assert values == [str(n).encode() for n in range(300)]
    assert await redis.execute("GET", f"{prefix}missing") is None


@pytest.mark.redis
async def test_an_error_reply_raises_and_the_connection_keeps_working(
    redis: PipelinedRedis, prefix: str
) -> None:
    await redis.execute("SET", f"{prefix}text", "abc", "EX", 60)
    outcomes: list[object] = await asyncio.gather(
        redis.execute("INCR", f"{prefix}text"),
        redis.execute("GET", f"{prefix}text"),
        return_exceptions=True,
    )
    failing, following = outcomes
    assert isinstance(failing, RedisError)
    assert "not an integer" in str(failing)
    assert following == b"abc"


@pytest.mark.redis
async def test_the_database_of_the_url_is_selected(redis_url: str, prefix: str) -> None:
    base = redis_url.rsplit("/", 1)[0]
    on_13, on_12 = PipelinedRedis(f"{base}/13"), PipelinedRedis(f"{base}/12")
    try:
        await on_13.execute("SET", f"{prefix}db", "thirteen", "EX", 60)
        assert await on_13.execute("GET", f"{prefix}db") == b"thirteen"
        assert await on_12.execute("GET", f"{prefix}db") is None
    finally:
        await on_13.close()
        await on_12.close()


@pytest.mark.redis
async def test_scripts_run_by_digest_and_are_loaded_when_redis_does_not_know_them(
    redis: PipelinedRedis, prefix: str
) -> None:
    script = Script(f"return '{prefix}' .. ARGV[1] .. KEYS[1]")
    assert await redis.execute("SCRIPT", "EXISTS", script.sha) == [0]
    assert await redis.evalsha(script, ("k",), "v") == f"{prefix}vk".encode()
    assert await redis.execute("SCRIPT", "EXISTS", script.sha) == [1]
    assert await redis.evalsha(script, ("k2",), "w") == f"{prefix}wk2".encode()


@pytest.mark.redis
async def test_a_dropped_connection_fails_what_was_pending_and_the_next_call_reconnects(
    redis: PipelinedRedis, redis_url: str, prefix: str
) -> None:
    client_id = await redis.execute("CLIENT", "ID")
    blocked = asyncio.ensure_future(redis.execute("BLPOP", f"{prefix}never", 30))
    killer = PipelinedRedis(redis_url)
    try:
        # Kill the connection once the server has the BLPOP, not after a guessed delay.
        await eventually(
            lambda: _is_blocked(killer, client_id), what="the BLPOP to reach the server"
        )
        assert await killer.execute("CLIENT", "KILL", "ID", client_id) == 1
    finally:
        await killer.close()
    with pytest.raises(RedisError, match="lost"):
        await blocked
    assert await redis.execute("PING") == b"PONG"
    assert await redis.execute("CLIENT", "ID") != client_id


async def test_a_server_that_never_answers_times_out() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", command_timeout_s=0.3)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(RedisError, match="no reply"):
            await client.execute("PING")
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        await client.close()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_an_unreachable_server_raises_redis_error() -> None:
    client = PipelinedRedis("redis://127.0.0.1:1/0", connect_timeout_s=1)
    with pytest.raises(RedisError, match="cannot connect"):
        await client.execute("PING")


async def _is_blocked(redis: PipelinedRedis, client_id: int) -> bool:
    listed = await redis.execute("CLIENT", "LIST", "ID", client_id)
    return b"cmd=blpop" in listed
