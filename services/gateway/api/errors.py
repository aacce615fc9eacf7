"""The API's error model: every refusal is JSON ``{"code", "message"[, "errors"][, "id"]}``.

``ApiError`` carries a status and a stable ``code``; acceptance refusals
(:class:`~services.gateway.notifications.validation.Rejection`) and FastAPI's request validation
errors are mapped to the same shape here, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.responses import JSONResponse, Response

from libs.common.observability.logging import get_logger
from services.gateway.notifications.validation import Rejection

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


class FieldError(BaseModel):
    """One invalid field."""

    loc: list[str | int] = Field(examples=[["to", "phone"]])
    message: str = Field(examples=["String should match pattern '^\\+?[0-9]{5,19}$'"])
    type: str = Field(examples=["string_pattern_mismatch"])


class ErrorBody(BaseModel):
    """What every error response carries."""

    code: str = Field(description="Stable, machine-readable.", examples=["unknown_event_type"])
    message: str = Field(description="For humans.", examples=["No reminder type 'x'."])
    errors: list[FieldError] | None = Field(default=None, description="Field errors, if any.")
    id: str | None = Field(
        default=None, description="The stored notification's id (503 after storing only)."
    )


def error_response(
    status: int,
    body: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response."""
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def rejection_response(rejection: Rejection, notification_id: str | None = None) -> JSONResponse:
    """The response for an acceptance refusal."""
    body = rejection.to_dict()
    if notification_id:
        body["id"] = notification_id
    return error_response(rejection.status, body)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, {"code": exc.code, "message": exc.message}, exc.headers)


async def _rejection(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejection)
    return rejection_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [part for part in error.get("loc", ()) if part != "body"] or ["body"],
            "message": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return error_response(
        422, {"code": "invalid_request", "message": "The request is invalid.", "errors": errors}
    )


async def _storage_error(_request: Request, exc: Exception) -> Response:
    log.warning("api_storage_unavailable", error=str(exc)[:200])
    return error_response(
        503, {"code": "storage_unavailable", "message": "The database is unavailable; retry."}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn the API's exceptions into JSON errors."""
    app.add_exception_handler(DBAPIError, _storage_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Rejection, _rejection)
    app.add_exception_handler(RequestValidationError, _validation_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error body for ``statuses``."""
    descriptions = {
        401: "Missing or bad signature, unknown system, or timestamp outside ±300 s.",
        404: "No such id among this system's own.",
        409: "Idempotency key already used for another account or event type.",
        413: "Body or file too large.",
        422: "Invalid body, unknown account or event type, or no usable channel.",
        503: "Stored but not queued (retry with the same idempotency key), or config unavailable.",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}
