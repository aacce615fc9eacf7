"""The admin API's domain errors, mapped onto the common error format.

The format itself (``{"code", "message", "errors"}`` in the request's language, 404/405/422 and
crashes) is :mod:`libs.common.http_errors`. Here: :class:`~services.admin_api.errors.AdminError`
and its tree (with ``details`` and the ``WWW-Authenticate``/``Retry-After`` headers), database
conflicts, and WeChat API failures.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from libs.common import http_errors
from libs.common.observability.logging import get_logger
from libs.common.wechat.errors import WeChatApiError, WeChatTransportError
from services.admin_api.errors import AdminError, FieldErrors, NotAuthenticated, TooManyRequests

log = get_logger(__name__)

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def location(field: str) -> list[str | int]:
    """A dotted field name (``body.buttons[0].name``) as a ``loc`` path (``buttons, 0, name``)."""
    loc: list[str | int] = [
        int(index) if index else name for name, index in _PATH_PART.findall(field)
    ]
    return loc[1:] if len(loc) > 1 and loc[0] == "body" else loc


async def _admin_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdminError)
    extra: dict[str, Any] = {"details": exc.details} if exc.details else {}
    errors: list[dict[str, Any]] = []
    if isinstance(exc, FieldErrors):
        errors = [
            {"loc": location(e.field), "message": e.message, "type": e.type} for e in exc.errors
        ]
    headers: dict[str, str] | None = None
    if isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return http_errors.error_response(
        request, exc.status, exc.code, exc.message, errors, headers=headers, **extra
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity_error", error=str(exc.__cause__ or exc)[:200])
    return http_errors.error_response(request, 409, "conflict")


async def _wechat_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WeChatApiError)
    return http_errors.error_response(
        request,
        502,
        "wechat_error",
        f"WeChat refused the request: {exc.errcode} {exc.errmsg}",
        details={"errcode": exc.errcode},
    )


async def _wechat_transport_error(request: Request, exc: Exception) -> JSONResponse:
    return http_errors.error_response(
        request, 502, "wechat_unavailable", f"WeChat API unreachable: {exc}"
    )


def install(app: FastAPI) -> None:
    """Register the common handlers and the admin API's own on ``app``."""
    http_errors.install_error_handlers(app)
    app.add_exception_handler(AdminError, _admin_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(WeChatApiError, _wechat_api_error)
    app.add_exception_handler(WeChatTransportError, _wechat_transport_error)
