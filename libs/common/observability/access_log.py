"""One log line per HTTP request, with a request id (``WXHUB_LOG_ACCESS=true``; off by default).

The request id is the caller's ``X-Request-Id`` when it looks like one (a load balancer's or a
business system's), else a new one; it is bound to the log context for the request, so every line
logged while serving it carries ``request_id``, and it is echoed in the response's
``X-Request-Id``. Off by default because on the callback hot path a log line costs about as much as
the request itself; the middleware is not in the stack at all when off.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.observability.logging import get_logger

log = get_logger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
_ACCEPTABLE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")


class AccessLog:
    """ASGI middleware writing ``http_request`` lines (method, path, status, duration)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self._app(scope, receive, send_with_id)
            finally:
                client = scope.get("client")
                log.info(
                    "http_request",
                    service=self._service,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client=client[0] if client else None,
                )


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_ID.match(value):
            return str(value.decode())
    return uuid.uuid4().hex
