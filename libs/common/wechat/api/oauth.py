"""Web authorisation (网页授权) with ``snsapi_base``: who opened a page inside WeChat.

A page sends the browser to WeChat's authorize URL (:func:`authorize_url`); WeChat sends it back
to ``redirect_uri`` with a one-time ``code`` (valid 5 minutes) and our ``state``; the server
trades the code for the user's openid at ``GET /sns/oauth2/access_token`` with the account's
AppID and AppSecret (:func:`exchange_code`). ``snsapi_base`` asks the user nothing and yields the
openid only; the web access token that comes with it is not kept.

Failure modes: a forged, used or expired code is :class:`WeChatApiError` 40029, 40163 or 42003
(action ``REFUSED_CODE``: the user starts over); an unreachable API or a malformed answer is
:class:`WeChatTransportError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from libs.common.wechat.client import send
from libs.common.wechat.errors import WeChatTransportError

AUTHORIZE_PATH = "/connect/oauth2/authorize"
ACCESS_TOKEN_PATH = "/sns/oauth2/access_token"
SCOPE_BASE = "snsapi_base"


@dataclass(frozen=True, slots=True)
class OAuthIdentity:
    """Who authorised: the openid under the account, and the scope granted."""

    openid: str
    scope: str


def authorize_url(
    oauth_base: str, appid: str, redirect_uri: str, state: str, scope: str = SCOPE_BASE
) -> str:
    """WeChat's authorize URL (parameters in the order WeChat documents, ``#wechat_redirect``)."""
    query = urlencode(
        {
            "appid": appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
        }
    )
    return f"{oauth_base.rstrip('/')}{AUTHORIZE_PATH}?{query}#wechat_redirect"


async def exchange_code(
    http: httpx.AsyncClient, base_url: str, appid: str, secret: str, code: str
) -> OAuthIdentity:
    """``GET /sns/oauth2/access_token``: the identity behind ``code`` (usable once)."""
    request = http.build_request(
        "GET",
        f"{base_url.rstrip('/')}{ACCESS_TOKEN_PATH}",
        params={
            "appid": appid,
            "secret": secret,
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    data = await send(http, request)
    openid, scope = data.get("openid"), data.get("scope", SCOPE_BASE)
    if not isinstance(openid, str) or not openid or not isinstance(scope, str):
        raise WeChatTransportError("oauth2 access_token response lacks openid")
    return OAuthIdentity(openid=openid, scope=scope)
