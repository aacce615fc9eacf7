"""The language of an answer: ``Accept-Language`` negotiated between zh-CN (default) and en."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from starlette.types import Scope

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"


def negotiate(accept_language: str | None) -> Language:
    """The language to answer in: the client's best-ranked of zh-CN and en; zh-CN by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in {"zh", "en"} and quality > 0:
            ranked.append((-quality, position, "zh-CN" if primary == "zh" else "en"))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def request_language(headers: Mapping[str, str]) -> Language:
    """The language of a request, from its headers."""
    return negotiate(headers.get("accept-language"))


def scope_language(scope: Scope) -> Language:
    """The language of a raw ASGI request."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return negotiate(value.decode("latin-1"))
    return DEFAULT_LANGUAGE
