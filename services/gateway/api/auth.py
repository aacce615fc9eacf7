"""Request signing for business systems (R-OUT-1).

Every request carries::

    X-Wxhub-System:    <system code>
    X-Wxhub-Timestamp: <unix seconds>
    X-Wxhub-Signature: hex(HMAC-SHA256(secret, "<timestamp>." + raw body))

The check runs in :class:`SignedRoute`, *before* FastAPI parses the body, so an unsigned request
is refused with 401 whatever its body (never a 422 that would reveal the schema), and the
signature covers the exact bytes received — multipart uploads included.

**Replays.** A captured request stays valid for the timestamp tolerance. A request without an
idempotency key gets an implicit one derived from its signature (:func:`replay_key`; the
signature covers timestamp and body, the key is scoped to the system), so a replay is a
``duplicate`` of the first request. This rides on the notifications' unique (system, key)
constraint: shared by every gateway replica and atomic with the insert, with no extra round trip
and nothing to expire — unlike a nonce cache in Redis, which would cost a call per request and
leave a choice between refusing everything and accepting replays when Redis is away. A system
that sends two byte-identical requests within one second means one notification; to send two,
give them idempotency keys (or any differing field).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from services.gateway.api.errors import ApiError
from services.gateway.metrics import AUTH_FAILURES
from services.gateway.notifications.config import ConfigCache, SystemConfig

SYSTEM_HEADER = "X-Wxhub-System"
TIMESTAMP_HEADER = "X-Wxhub-Timestamp"
SIGNATURE_HEADER = "X-Wxhub-Signature"
_CHALLENGE = {"WWW-Authenticate": 'WXHUB-HMAC-SHA256 headers="X-Wxhub-System X-Wxhub-Timestamp"'}
# Signs requests naming an unknown system, so that they take as long as known ones.
_DUMMY_SECRET = b"wxhub-unknown-system"


def sign(secret: bytes | str, timestamp: str, body: bytes) -> str:
    """The hex signature of ``body`` sent at ``timestamp`` (what clients compute too)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(
    system: str, secret: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three auth headers for ``body`` (for clients, tests and the benchmark)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {SYSTEM_HEADER: system, TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body)}


class SignatureVerifier:
    """Checks a request's signature against the cached systems; returns the calling system."""

    def __init__(
        self,
        config: ConfigCache,
        *,
        tolerance_s: int = 300,
        max_body_bytes: int = 4 * 1024 * 1024,
        max_upload_bytes: int = 10 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._tolerance_s = tolerance_s
        self._max_body_bytes = max_body_bytes
        # Multipart framing adds a little around the file itself.
        self._max_upload_bytes = max_upload_bytes + 64 * 1024
        self._clock = clock

    async def verify(self, request: Request) -> SystemConfig:
        """The calling system; raises :class:`ApiError` (401, or 413 for an oversize body)."""
        headers = request.headers
        code = headers.get(SYSTEM_HEADER)
        timestamp = headers.get(TIMESTAMP_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not (code and timestamp and signature):
            raise _unauthorized(
                "missing_credentials",
                f"Sign the request: {SYSTEM_HEADER}, {TIMESTAMP_HEADER}, {SIGNATURE_HEADER}.",
            )
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise _unauthorized("invalid_timestamp", "The timestamp is not unix seconds.") from None
        if abs(self._clock() - sent_at) > self._tolerance_s:
            raise _unauthorized(
                "stale_timestamp",
                f"The timestamp is more than {self._tolerance_s} s from the server's clock.",
            )
        body = await self._read_body(request)
        try:
            snapshot = await self._config.get()
        except Exception:
            raise ApiError(503, "config_unavailable", "Systems cannot be loaded; retry.") from None
        system = snapshot.systems.get(code)
        expected = sign(system.secret if system else _DUMMY_SECRET, timestamp, body)
        provided = signature.strip().lower().encode()
        if not hmac.compare_digest(expected.encode(), provided) or system is None:
            raise _unauthorized("invalid_signature", "Unknown system or wrong signature.")
        # Verified, so exactly the expected hex digest: the request's replay identity.
        request.state.signature = expected
        return system

    async def _read_body(self, request: Request) -> bytes:
        multipart = request.headers.get("content-type", "").startswith("multipart/")
        limit = self._max_upload_bytes if multipart else self._max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, "body_too_large", f"The body exceeds {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "body_too_large", f"The body exceeds {limit} bytes.")
            chunks.append(chunk)
        body = b"".join(chunks)
        # FastAPI reads the body (JSON or form) from this cache after we return.
        request._body = body
        return body


def _unauthorized(code: str, message: str) -> ApiError:
    AUTH_FAILURES.labels(code).inc()
    return ApiError(401, code, message, headers=_CHALLENGE)


class SignedRoute(APIRoute):
    """A route that verifies the request signature before anything else runs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler with the signature check."""
        handler = super().get_route_handler()

        async def signed(request: Request) -> Response:
            verifier: SignatureVerifier = request.app.state.notification_api.verifier
            request.state.system = await verifier.verify(request)
            return await handler(request)

        return signed


async def document_signature_headers(
    x_wxhub_system: Annotated[
        str,
        Header(
            alias=SYSTEM_HEADER, description="The business system's code.", examples=["demo-core"]
        ),
    ],
    x_wxhub_timestamp: Annotated[
        str,
        Header(
            alias=TIMESTAMP_HEADER,
            description="Unix seconds when signed; refused outside ±300 s of the server clock.",
            examples=["1764140400"],
        ),
    ],
    x_wxhub_signature: Annotated[
        str,
        Header(
            alias=SIGNATURE_HEADER,
            description='Lower-case hex HMAC-SHA256(secret, "<timestamp>." + raw body).',
            examples=["9f2b5c0e" + "0" * 56],
        ),
    ],
) -> Any:
    """Declares the auth headers in the OpenAPI schema (:class:`SignedRoute` checks them)."""
    return None


def signed_router(tag: str) -> APIRouter:
    """A ``/api/v1`` router whose routes all require a business system's signature."""
    return APIRouter(
        prefix="/api/v1",
        tags=[tag],
        route_class=SignedRoute,
        dependencies=[Depends(document_signature_headers)],
    )
