"""The notification API's domain errors, mapped onto the common error format.

The format itself (``{"code", "message", "errors"}`` in the request's language, 404/405/422 and
crashes) is :mod:`libs.common.http_errors`; here only what is the API's own: :class:`ApiError`,
acceptance refusals (:class:`~services.gateway.notifications.validation.Rejection`, which may
carry the stored notification's ``id``) and an unavailable database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from pydantic import Field
from sqlalchemy.exc import DBAPIError
from starlette.responses import JSONResponse, Response

from libs.common import http_errors
from libs.common.http_errors import FieldError
from libs.common.observability.logging import get_logger
from services.gateway.notifications.validation import Rejection

__all__ = ["ApiError", "ErrorBody", "FieldError", "error_responses", "install_error_handlers"]

log = get_logger(__name__)


class ApiError(Exception):
    """An HTTP refusal with a stable machine-readable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class ErrorBody(http_errors.ErrorBody):
    """The common error body; a refusal after storing also names the stored notification."""

    id: str | None = Field(
        default=None, description="The stored notification's id (503 after storing only)."
    )


def rejection_response(
    request: Request, rejection: Rejection, notification_id: str | None = None
) -> JSONResponse:
    """The response for an acceptance refusal."""
    extra: dict[str, Any] = {"id": notification_id} if notification_id else {}
    return http_errors.error_response(
        request,
        rejection.status,
        rejection.code,
        rejection.message,
        rejection.errors or (),
        **extra,
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return http_errors.error_response(
        request, exc.status, exc.code, exc.message, headers=exc.headers
    )


async def _rejection(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejection)
    return rejection_response(request, exc)


async def _storage_error(request: Request, exc: Exception) -> Response:
    log.warning("api_storage_unavailable", error=str(exc)[:200])
    return http_errors.error_response(request, 503, "storage_unavailable")


def install_error_handlers(app: FastAPI) -> None:
    """Register the common handlers and the API's own on ``app``."""
    http_errors.install_error_handlers(app)
    app.add_exception_handler(DBAPIError, _storage_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Rejection, _rejection)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error body for ``statuses``."""
    descriptions = {
        401: "Missing or bad signature, unknown system, or timestamp outside ±300 s.",
        404: "No such id among this system's own.",
        409: "Idempotency key already used for another account or event type.",
        422: "Unreadable body, invalid fields, unknown account or event type, or no channel.",
        503: "Stored but not queued (retry with the same idempotency key), or config unavailable.",
    }
    entries = http_errors.error_responses(*statuses, descriptions=descriptions)
    for entry in entries.values():
        entry["model"] = ErrorBody
    return entries
