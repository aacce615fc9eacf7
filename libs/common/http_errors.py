"""The one error format of every wxhub HTTP endpoint, in Chinese and English.

Every refusal, from every service, is JSON::

    {"code": "validation_error", "message": "请求参数无效",
     "errors": [{"loc": ["to", "phone"], "message": "最多 20 个字符", "type": "string_too_long"}]}

``code`` is stable and machine-readable (the catalogue below lists every one); ``message`` is for
people, in the request's language (``Accept-Language``: ``zh-CN`` by default, ``en``); ``errors``
lists per-field problems (empty when there are none). A service may add keys of its own (the
gateway's stored ``id``, the admin API's ``details``); when a Chinese answer replaces a more
specific English sentence from the code, that sentence is kept in ``detail`` for developers.

:func:`install_error_handlers` gives a FastAPI/Starlette app this shape for unknown routes (404),
wrong methods (405), request validation and unreadable bodies (422) and crashes (500); services
register their domain errors on top and build bodies with :func:`error_response`. The raw-ASGI
WeChat callback uses :func:`error_bytes` on its error path only.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from libs.common.observability.logging import get_logger

log = get_logger(__name__)

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"


class Text(NamedTuple):
    """A message in both languages."""

    zh: str
    en: str


# Every stable error code and what it says. Codes are a contract with API clients: add, never
# rename. Domain errors raised with a code not listed here keep their own (English) message.
CATALOGUE: dict[str, Text] = {
    # Any HTTP service.
    "bad_request": Text("请求无效", "The request is invalid."),
    "not_found": Text("资源不存在", "Not found."),
    "method_not_allowed": Text("不支持该请求方法", "Method not allowed."),
    "validation_error": Text("请求参数无效", "The request is invalid."),
    "malformed_body": Text(
        "请求体无法解析（须为 UTF-8 编码的合法 JSON）",
        "The body cannot be read (it must be valid JSON in UTF-8).",
    ),
    "body_too_large": Text("请求体过大", "The body is too large."),
    "unsupported_media_type": Text("不支持的内容类型", "Unsupported content type."),
    "not_authenticated": Text("未登录或令牌无效", "Not authenticated."),
    "permission_denied": Text("没有执行此操作的权限", "Permission denied."),
    "conflict": Text(
        "与现有数据冲突（重复或仍在使用）", "The change conflicts with existing data."
    ),
    "too_many_requests": Text("请求过于频繁，请稍后再试", "Too many requests; retry later."),
    "internal_error": Text("服务器内部错误", "Internal server error."),
    "storage_unavailable": Text("数据库暂不可用，请重试", "The database is unavailable; retry."),
    "config_unavailable": Text("配置暂不可用，请重试", "Configuration is unavailable; retry."),
    # Admin API.
    "invalid_credentials": Text("用户名或密码错误", "Wrong username or password."),
    "account_locked": Text("账号已临时锁定，请稍后再试", "The account is locked for a while."),
    "invalid_state": Text("当前状态不允许此操作", "Not allowed in the current state."),
    "quota_exceeded": Text("群发额度已用完", "The mass-send quota is used up."),
    "limit_exceeded": Text("内容超出限制", "The content exceeds a limit."),
    "wechat_error": Text("微信接口拒绝了请求", "WeChat refused the request."),
    "wechat_unavailable": Text("无法连接微信接口", "The WeChat API is unreachable."),
    "window_expired": Text(
        "客户最后一条消息已超过 48 小时，微信不允许再发送客服消息",
        "The customer's last message is over 48 hours old; WeChat refuses the send.",
    ),
    "window_quota_used": Text(
        "客户上次发言后的可发送条数已用完，需等客户再次发言",
        "The sends allowed since the customer's last message are used up.",
    ),
    "not_an_agent": Text("您还不是客服坐席", "You have no customer-service seat."),
    # Business-system notification API (gateway).
    "missing_credentials": Text("缺少签名认证信息", "Missing signature credentials."),
    "invalid_signature": Text("系统未知或签名错误", "Unknown system or wrong signature."),
    "invalid_timestamp": Text("时间戳无效", "The timestamp is invalid."),
    "stale_timestamp": Text("时间戳超出允许范围", "The timestamp is outside the allowed window."),
    "unknown_account": Text("公众号不存在或未启用", "No such enabled account."),
    "unknown_event_type": Text("提醒类型不存在", "No such reminder type."),
    "unknown_customer": Text("客户不存在", "No such customer."),
    "idempotency_conflict": Text(
        "幂等键已用于其他请求", "The idempotency key was used for another request."
    ),
    "no_channel": Text("没有可用的发送渠道", "No usable channel."),
    "invalid_request": Text("该条通知无效", "The item is invalid."),
    "fallback_not_allowed": Text("该提醒类型不允许短信兜底", "SMS fallback not allowed."),
    "no_fallback_phone": Text("没有可用于短信兜底的手机号", "No phone to fall back to."),
    "missing_data_fields": Text("模板数据缺少字段", "Template data fields are missing."),
    "batch_too_large": Text("批量条数超出上限", "The batch has too many items."),
    "file_too_large": Text("文件过大", "The file is too large."),
    "bad_encoding": Text("文件须为 UTF-8 或 GB18030 文本", "The file is not UTF-8/GB18030."),
    "malformed_csv": Text("CSV 格式错误", "The file is not valid CSV."),
    "empty_file": Text("文件没有数据行", "The file has no rows."),
    "duplicate_columns": Text("CSV 列名重复", "Columns appear twice."),
    "missing_recipient_columns": Text("CSV 缺少收件人列", "Recipient columns are missing."),
    "too_many_rows": Text("CSV 行数超出上限", "The file has too many rows."),
    "wrong_column_count": Text("CSV 某行列数不对", "A row has the wrong number of columns."),
    "publish_failed": Text("已保存但尚未入队，请用相同幂等键重试", "Stored but not queued; retry."),
    # WeChat callback endpoint.
    "missing_signature": Text("缺少 signature、timestamp 或 nonce", "Missing signature fields."),
    "bad_signature": Text("签名校验失败", "The signature does not match."),
    "bad_timestamp": Text("时间戳不是数字", "The timestamp is not a number."),
    "missing_echostr": Text("缺少 echostr", "echostr is required."),
    "malformed_xml": Text("XML 格式错误", "Malformed XML."),
    "malformed_message": Text("消息字段缺失或无效", "Missing or invalid message fields."),
    "encryption_required": Text("该公众号为安全模式，须加密", "The account requires encryption."),
    "encryption_not_configured": Text("该公众号未配置 EncodingAESKey", "No EncodingAESKey set."),
    "missing_encrypt": Text("缺少 Encrypt 或 msg_signature", "Encrypt and msg_signature needed."),
    "bad_msg_signature": Text("msg_signature 校验失败", "msg_signature does not match."),
    "appid_mismatch": Text("解密后的 AppID 不属于该公众号", "The decrypted AppID is not ours."),
    "decryption_failed": Text("无法解密消息", "The message cannot be decrypted."),
}

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

# Chinese for pydantic's field error types; ``{name}`` takes the error's context values.
_FIELD_MESSAGES_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（{pattern}）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "datetime_parsing": "日期时间格式无效",
    "datetime_from_date_parsing": "日期时间格式无效",
    "datetime_type": "应为日期时间",
    "date_parsing": "日期格式无效",
    "uuid_parsing": "UUID 格式无效",
    "url_parsing": "URL 格式无效",
    "json_invalid": "JSON 格式错误：{error}",
    "value_error": "取值无效：{error}",
    "utf8": "须为 UTF-8 编码",
}


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
            template = _FIELD_MESSAGES_ZH.get(str(error.get("type")), "{")
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


def scope_language(scope: Scope) -> Language:
    """The language of a raw ASGI request."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return negotiate(value.decode("latin-1"))
    return DEFAULT_LANGUAGE


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
        if language == "zh-CN" and kind in _FIELD_MESSAGES_ZH:
            context = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
            context.setdefault("error", message)
            # A context value missing: keep pydantic's English sentence.
            with contextlib.suppress(KeyError, IndexError):
                message = _FIELD_MESSAGES_ZH[kind].format(**context)
        converted.append({"loc": loc or [drop_prefix], "message": message, "type": kind})
    return converted


def _plain(value: Any) -> str:
    text = str(value)
    return text.removeprefix("Value error, ")


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
