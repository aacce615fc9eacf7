"""Starlette exception handlers answering in the common shape, and the raw-ASGI 404."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from libs.common.http_errors.bodies import error_bytes, error_response, field_errors
from libs.common.http_errors.language import request_language, scope_language
from libs.common.observability.logging import get_logger

log = get_logger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # FastAPI turns a body it cannot decode (invalid UTF-8) into a bare 400.
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        return _malformed(request, "utf8", "The body is not valid UTF-8.")
    code = _STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "")
    code = code or "internal_error"
    detail = exc.detail if isinstance(exc.detail, str) else None
    return error_response(request, exc.status_code, code, detail, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        first = next(e for e in raw if e.get("type") == "json_invalid")
        return _malformed(request, "json_invalid", str((first.get("ctx") or {}).get("error", "")))
    language = request_language(request.headers)
    return error_response(request, 422, "validation_error", None, field_errors(raw, language))


def _malformed(request: Request, kind: str, why: str) -> Response:
    language = request_language(request.headers)
    errors = field_errors([{"loc": ["body"], "type": kind, "msg": why, "ctx": {}}], language)
    return error_response(request, 422, "malformed_body", None, errors)


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("unhandled_error", path=request.url.path, error=repr(exc)[:300], exc_info=exc)
    return error_response(request, 500, "internal_error")


def install_error_handlers(app: Starlette) -> None:
    """Answer 404/405, other HTTP exceptions, validation errors and crashes in the common shape."""
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _crash)


async def not_found_app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI app answering every request with the common 404."""
    body = error_bytes("not_found", scope_language(scope))
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
