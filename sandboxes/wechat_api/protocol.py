"""The WeChat API's request judgement and error answers: errcodes and their errmsg, the body
rules (``\\uXXXX`` escapes → 40033, unparsable → 47001, empty → 44002), and armed errcode
faults."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sandboxes.faults import Answer, FaultSpecError, JsonObject

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub button level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40032: "invalid openid list size",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40037: "invalid template_id",
    40050: "invalid tag id",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    40163: "code been used",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    42003: "code expired",
    43004: "require subscribe",
    44002: "empty post data",
    44004: "empty content",
    45008: "article size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45065: "clientmsgid exist",
    45067: "clientmsgid size out of limit",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    65301: "menuid not exist",
    65303: "there is no selfmenu, please create selfmenu first",
    65304: "match rule empty",
    65320: "gender, country, province, city, language are no longer supported",
}

# An unescaped ``\uXXXX`` (an even run of backslashes before it means the backslash is literal).
_UNICODE_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}")


class ApiError(Exception):
    """A WeChat business error: answered with HTTP 200 and this errcode."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any) -> None:
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One authenticated API request as the operations see it."""

    appid: str
    query: Mapping[str, str]
    body: JsonObject
    request: Request


Operation = Callable[[ApiCall], Awaitable[JsonObject]]


def parse_body(raw: bytes) -> JsonObject:
    """The JSON object of a request body, judged like the real API."""
    if not raw.strip():
        raise ApiError(44002)
    if b"\\u" in raw and _UNICODE_ESCAPE.search(raw):
        raise ApiError(40033)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        raise ApiError(47001) from None
    if not isinstance(value, dict):
        raise ApiError(47001)
    return value


def shape_fault(spec: Mapping[str, Any]) -> Answer | None:
    """An armed fault's answer when it names an ``errcode`` (+ optional ``errmsg``)."""
    errcode = spec.get("errcode")
    if errcode is None:
        if "errmsg" in spec:
            raise FaultSpecError('"errmsg" goes with "errcode"')
        return None
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise FaultSpecError("errcode must be an integer")
    errmsg = spec.get("errmsg", ERRMSG.get(errcode, "injected error"))
    if not isinstance(errmsg, str):
        raise FaultSpecError("errmsg must be a string")
    return Answer(200, {"errcode": errcode, "errmsg": errmsg})


def fault_outcome(body: JsonObject) -> str:
    """How the call log names an injected answer."""
    return str(body.get("errcode", 0))
