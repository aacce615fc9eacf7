"""Web authorisation (网页授权, ``snsapi_base``): ``GET /connect/oauth2/authorize`` and
``GET /sns/oauth2/access_token``.

The authorize page of the real WeChat knows who holds the phone; the sandbox's acts for the
openid in ``sandbox_openid`` (default: the bound demo customer) and redirects at once to
``redirect_uri`` with a fresh code and the caller's ``state``. Tests mint codes for any openid
through the control API. A code works once (then 40163), for 5 minutes (then 42003), for the
appid it was issued to; anything else is 40029. The secret is checked like the token API's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from sandboxes.endpoint import Clock, Reply
from sandboxes.wechat_api.protocol import ApiError
from sandboxes.wechat_api.token import TokenBook

DEMO_OPENID = "oWxhubDemoCustomer0000000001"


@dataclass(slots=True)
class Grant:
    """A code handed out and what it stands for."""

    appid: str
    openid: str
    scope: str
    expires_at: float
    used: bool = False


class OAuthCodes:
    """Codes issued by the authorize page, traded once for an openid."""

    def __init__(self, token_book: TokenBook, clock: Clock, *, lifetime_s: float = 300) -> None:
        self._token_book = token_book
        self._clock = clock
        self.lifetime_s = lifetime_s
        self.grants: dict[str, Grant] = {}

    def issue(self, appid: str, openid: str, scope: str = "snsapi_base") -> str:
        """A fresh code for ``openid`` under ``appid``."""
        now = self._clock()
        if len(self.grants) > 1000:
            self.grants = {c: g for c, g in self.grants.items() if g.expires_at > now}
        code = secrets.token_hex(16)
        self.grants[code] = Grant(appid, openid, scope, now + self.lifetime_s)
        return code

    def redeem(self, appid: str, code: object) -> Grant:
        """The grant behind ``code``, used up; raises the API's error otherwise."""
        grant = self.grants.get(code) if isinstance(code, str) else None
        if grant is None or grant.appid != appid:
            raise ApiError(40029)
        if grant.used:
            raise ApiError(40163)
        if grant.expires_at <= self._clock():
            raise ApiError(42003)
        grant.used = True
        return grant

    # -- endpoints -----------------------------------------------------------------------------

    async def authorize_endpoint(self, request: Request) -> Response:
        """``GET /connect/oauth2/authorize``: straight back to ``redirect_uri`` with a code."""
        query = request.query_params
        appid, redirect_uri = query.get("appid", ""), query.get("redirect_uri", "")
        if appid not in self._token_book.accounts:
            return PlainTextResponse("invalid appid", 400)
        if (
            urlsplit(redirect_uri).scheme not in ("http", "https")
            or query.get("response_type") != "code"
        ):
            return PlainTextResponse("invalid redirect_uri or response_type", 400)
        scope = query.get("scope", "snsapi_base")
        code = self.issue(appid, query.get("sandbox_openid") or DEMO_OPENID, scope)
        separator = "&" if "?" in redirect_uri else "?"
        target = (
            f"{redirect_uri}{separator}{urlencode({'code': code, 'state': query.get('state', '')})}"
        )
        return RedirectResponse(target, 302)

    async def access_token_endpoint(self, request: Request) -> Reply:
        """``GET /sns/oauth2/access_token``."""
        query = request.query_params
        try:
            if query.get("grant_type") != "authorization_code":
                raise ApiError(40002)
            appid = self._token_book.check_credentials(query.get("appid"), query.get("secret"))
            grant = self.redeem(appid, query.get("code"))
        except ApiError as exc:
            answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
            return Reply(answer, str(exc.errcode), 200, None, exc.errcode)
        answer = {
            "access_token": f"sbx_web_{secrets.token_urlsafe(24)}",
            "expires_in": 7200,
            "refresh_token": f"sbx_refresh_{secrets.token_urlsafe(24)}",
            "openid": grant.openid,
            "scope": grant.scope,
        }
        return Reply(answer, "0", 200, None, 0)
