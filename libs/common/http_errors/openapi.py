"""The error body's schema, and OpenAPI ``responses`` entries that document it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One problem with one input field."""

    loc: list[str | int] = Field(
        description="Where: the path to the field (without the leading ``body``).",
        examples=[["to", "phone"]],
    )
    message: str = Field(
        description="For people, in the request's language.", examples=["应为整数"]
    )
    type: str = Field(description="Stable kind of problem.", examples=["int_parsing"])


class ErrorBody(BaseModel):
    """What every error response carries, from every wxhub service."""

    code: str = Field(description="Stable, machine-readable.", examples=["validation_error"])
    message: str = Field(
        description="For people, in the request's language (Accept-Language: zh-CN, en).",
        examples=["请求参数无效"],
    )
    errors: list[FieldError] = Field(
        default_factory=list, description="Per-field problems; empty when there are none."
    )
    detail: str | None = Field(
        default=None,
        description="The specific English sentence, when `message` is the catalogue's Chinese.",
        examples=["No notification 'x'."],
    )


_DESCRIPTIONS = {
    400: "Bad request.",
    401: "Not authenticated (missing, wrong or expired credentials).",
    403: "Authenticated but not allowed (permission or data scope).",
    404: "No such object (or not visible to the caller).",
    409: "Conflicts with existing data or the object's state.",
    413: "Body or file too large.",
    422: "Invalid input: unreadable body, or fields listed in `errors`.",
    423: "Account locked after failed logins.",
    429: "Too many requests; see Retry-After.",
    502: "The WeChat API failed or refused.",
    503: "A dependency is unavailable; retry.",
}


def error_responses(
    *statuses: int, descriptions: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting :class:`ErrorBody` for ``statuses``."""
    described = {**_DESCRIPTIONS, **(descriptions or {})}
    return {
        status: {"model": ErrorBody, "description": described.get(status, "Error.")}
        for status in statuses
    }
