"""Fetching access tokens (§8.1); caching and single-refresher logic live in the token manager."""

from __future__ import annotations

import httpx

from libs.common.wechat.client import encode_json, send
from libs.common.wechat.errors import WeChatTransportError


def _token_pair(data: dict[str, object]) -> tuple[str, int]:
    token, expires_in = data.get("access_token"), data.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int):
        raise WeChatTransportError("token response lacks access_token/expires_in")
    return token, expires_in


async def fetch_stable_token(
    http: httpx.AsyncClient,
    base_url: str,
    appid: str,
    secret: str,
    force_refresh: bool = False,
) -> tuple[str, int]:
    """``POST /cgi-bin/stable_token`` → (access_token, expires_in seconds).

    Normal mode returns the same token to every caller during its validity; ``force_refresh``
    reissues it (20/day, ≥ 30 s apart) and must never be used from request paths.
    """
    body = {
        "grant_type": "client_credential",
        "appid": appid,
        "secret": secret,
        "force_refresh": force_refresh,
    }
    request = http.build_request(
        "POST",
        f"{base_url.rstrip('/')}/cgi-bin/stable_token",
        content=encode_json(body),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    return _token_pair(await send(http, request))


async def fetch_token(
    http: httpx.AsyncClient, base_url: str, appid: str, secret: str
) -> tuple[str, int]:
    """Classic ``GET /cgi-bin/token`` → (access_token, expires_in); invalidates older tokens."""
    request = http.build_request(
        "GET",
        f"{base_url.rstrip('/')}/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": appid, "secret": secret},
    )
    return _token_pair(await send(http, request))
