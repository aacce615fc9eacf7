"""Exception handlers: every error is JSON ``{"code", "message", ...}``; 422 lists field errors."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.common.observability.logging import get_logger
from libs.common.wechat.errors import WeChatApiError, WeChatTransportError
from services.admin_api.errors import AdminError, FieldErrors, NotAuthenticated, TooManyRequests

log = get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The shape of every error response."""
    return {"code": code, "message": message, **extra}


async def _admin_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdminError)
    body = error_body(exc.code, exc.message)
    if exc.details:
        body["details"] = exc.details
    if isinstance(exc, FieldErrors):
        body["errors"] = [
            {"field": e.field, "message": e.message, "type": e.type} for e in exc.errors
        ]
    headers: dict[str, str] | None = None
    if isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return JSONResponse(
        error_body("validation_error", "request validation failed", errors=errors),
        status_code=422,
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity_error", error=str(exc.__cause__ or exc)[:200])
    return JSONResponse(
        error_body("conflict", "the change conflicts with existing data (duplicate or in use)"),
        status_code=409,
    )


async def _wechat_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WeChatApiError)
    return JSONResponse(
        error_body(
            "wechat_error",
            f"WeChat refused the request: {exc.errcode} {exc.errmsg}",
            details={"errcode": exc.errcode},
        ),
        status_code=502,
    )


async def _wechat_transport_error(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        error_body("wechat_unavailable", f"WeChat API unreachable: {exc}"), status_code=502
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AdminError, _admin_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(WeChatApiError, _wechat_api_error)
    app.add_exception_handler(WeChatTransportError, _wechat_transport_error)
