"""A scripted WeChat API on a real loopback HTTP server (uvicorn, port 0, the test's loop)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, bytes | dict[str, Any]]
Responder = Callable[[Recorded], Awaitable[Answer]]


@dataclass
class FakeWeChatApi:
    """Records every request and answers from per-path scripts (default: errcode 0)."""

    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    scripts: dict[str, list[Answer | Responder]] = field(default_factory=dict)

    def script(self, path: str, *answers: Answer | Responder) -> None:
        self.scripts.setdefault(path, []).extend(answers)

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        recorded = Recorded(scope["method"], scope["path"], query, headers, body)
        self.requests.append(recorded)
        queue = self.scripts.get(scope["path"])
        answer: Answer | Responder = (
            queue.pop(0) if queue else (200, {"errcode": 0, "errmsg": "ok"})
        )
        status, payload = answer if isinstance(answer, tuple) else await answer(recorded)
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": raw})


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    config = uvicorn.Config(
        api, host="127.0.0.1", port=0, log_level="error", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    api.base_url = f"http://127.0.0.1:{port}"
    yield api
    server.should_exit = True
    await task


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


class CountingTokens:
    """A TokenSource handing out tokens in order; records compare-and-invalidate calls."""

    def __init__(self, *tokens: str) -> None:
        self._tokens = list(tokens)
        self.invalidated: list[str] = []
        self.gets = 0

    async def get(self) -> str:
        self.gets += 1
        return self._tokens[0]

    async def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if self._tokens[0] == token and len(self._tokens) > 1:
            self._tokens.pop(0)


@pytest.fixture
def tokens() -> CountingTokens:
    return CountingTokens("stale-token", "fresh-token")
