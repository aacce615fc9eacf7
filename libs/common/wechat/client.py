"""Async WeChat API client over an injected ``httpx.AsyncClient``.

Every call adds the ``access_token`` query parameter from a :class:`TokenSource`, sends JSON
with ``ensure_ascii=False`` (escaped non-ASCII is error 40033) and decodes the JSON answer.

Failure modes:

* ``errcode`` in 40001/40014/42001: the failed token is invalidated (compare-and-invalidate:
  only if it is still the current one), a fresh token is fetched and the request is retried
  **once**; a second token error is raised.
* any other ``errcode`` that :func:`classify` does not call a success raises
  :class:`WeChatApiError` (45065, "clientmsgid already sent", returns the body instead).
* HTTP status >= 400, a body that is not a JSON object, a network error or a timeout raises
  :class:`WeChatTransportError`. The request may or may not have reached WeChat, so only
  idempotent requests should be retried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from libs.common.wechat.errors import (
    TOKEN_ERRCODES,
    ErrorAction,
    WeChatApiError,
    WeChatTransportError,
    classify,
)

_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}

# (filename, content, content type) as httpx accepts it for multipart uploads.
FileTuple = tuple[str, bytes, str]


class TokenSource(Protocol):
    """Where the client gets access tokens from (the token manager implements this)."""

    async def get(self) -> str:
        """Return a valid access token."""
        ...

    async def invalidate(self, token: str) -> None:
        """Forget ``token`` if it is still the current one (compare-and-invalidate)."""
        ...


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """Serialise a request body the way WeChat wants it: UTF-8, non-ASCII unescaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def decode_response(response: httpx.Response) -> dict[str, Any]:
    """Return the JSON body of an API response or raise the matching typed error."""
    if response.status_code >= 400:
        raise WeChatTransportError(
            f"HTTP {response.status_code} from {response.request.url.path}",
            status_code=response.status_code,
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise WeChatTransportError(
            "response body is not JSON", status_code=response.status_code
        ) from exc
    if not isinstance(data, dict):
        raise WeChatTransportError("response body is not a JSON object")
    errcode = data.get("errcode", 0)
    if not isinstance(errcode, int):
        raise WeChatTransportError(f"errcode is not an integer: {errcode!r}")
    if errcode != 0 and classify(errcode) is not ErrorAction.SUCCESS:
        raise WeChatApiError(errcode, str(data.get("errmsg", "")))
    return data


async def send(http: httpx.AsyncClient, request: httpx.Request) -> dict[str, Any]:
    """Send one request and decode it, turning network failures into WeChatTransportError."""
    try:
        response = await http.send(request)
    except httpx.HTTPError as exc:
        raise WeChatTransportError(f"{type(exc).__name__}: {exc}") from exc
    return decode_response(response)


class WeChatClient:
    """Token-aware JSON client for ``api.weixin.qq.com`` (or a sandbox at ``base_url``)."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, tokens: TokenSource) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens

    def url(self, path: str) -> str:
        """Absolute URL for an API path (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self._base_url}/{path.lstrip('/')}"

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, FileTuple] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.url(path)
        retried = False
        while True:
            token = await self._tokens.get()
            request = self._http.build_request(
                method,
                url,
                params={**(params or {}), "access_token": token},
                content=content,
                headers=headers,
                files=files,
                data=data,
            )
            try:
                return await send(self._http, request)
            except WeChatApiError as exc:
                if retried or exc.errcode not in TOKEN_ERRCODES:
                    raise
                await self._tokens.invalidate(token)
                retried = True

    async def post_json(
        self,
        path: str,
        payload: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST a JSON body; returns the decoded JSON answer."""
        return await self._call(
            "POST", path, params=params, content=encode_json(payload), headers=_JSON_HEADERS
        )

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET with query parameters; returns the decoded JSON answer."""
        return await self._call("GET", path, params=params)

    async def post_multipart(
        self,
        path: str,
        *,
        files: Mapping[str, FileTuple],
        data: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST a multipart form (media uploads); returns the decoded JSON answer."""
        return await self._call("POST", path, params=params, files=files, data=data)
