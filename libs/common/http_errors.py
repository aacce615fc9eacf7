"""The error format every wxhub HTTP endpoint answers with (placeholder, completed below)."""

from __future__ import annotations

import json

from starlette.types import Receive, Scope, Send


async def not_found_app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI app answering 404 for every request."""
    body = json.dumps({"code": "not_found", "message": "Not found", "errors": []}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
