"""Test helpers for the WeChat client tests: a recording fake of the WeChat API and a token
store that counts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

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
