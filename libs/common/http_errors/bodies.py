"""Error bodies: the catalogue's text in the request's language, field errors translated."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from libs.common.http_errors.catalogue import CATALOGUE, FIELD_MESSAGES_ZH
from libs.common.http_errors.language import Language, request_language


def error_body(
    code: str,
    language: Language,
    message: str | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The body of one error: the catalogue's text in ``language``; ``message`` is specific English.

    In English the specific message wins (it names the field or the limit); in Chinese the
    catalogue's text is used and the English sentence kept in ``detail``.
    """
    text = CATALOGUE.get(code)
    if text is None:
        said = message or code
    elif language == "en":
        said = message or text.en
    else:
        said = text.zh
        if message and message != text.en:
            extra.setdefault("detail", message)
    listed = [dict(e) for e in errors]
    if language == "zh-CN":
        for error in listed:
            # Fixed texts only: a template needing context would mix languages.
            template = FIELD_MESSAGES_ZH.get(str(error.get("type")), "{")
            if "{" not in template:
                error["message"] = template
    return {"code": code, "message": said, "errors": listed, **extra}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A JSON error response in the request's language."""
    body = error_body(code, request_language(request.headers), message, errors, **extra)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def error_bytes(code: str, language: Language, message: str | None = None) -> bytes:
    """The encoded body of an error (for raw ASGI endpoints)."""
    return json.dumps(error_body(code, language, message), ensure_ascii=False).encode()


def field_errors(
    raw: Sequence[Mapping[str, Any]], language: Language, *, drop_prefix: str = "body"
) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors as ``{"loc", "message", "type"}``, messages in ``language``."""
    converted = []
    for error in raw:
        loc = list(error.get("loc", ()))
        if loc and loc[0] == drop_prefix:
            loc = loc[1:]
        kind = str(error.get("type", "value_error"))
        message = str(error.get("msg", ""))
        if language == "zh-CN" and kind in FIELD_MESSAGES_ZH:
            context = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
            context.setdefault("error", message)
            # A context value missing: keep pydantic's English sentence.
            with contextlib.suppress(KeyError, IndexError):
                message = FIELD_MESSAGES_ZH[kind].format(**context)
        converted.append({"loc": loc or [drop_prefix], "message": message, "type": kind})
    return converted


def _plain(value: Any) -> str:
    text = str(value)
    return text.removeprefix("Value error, ")
