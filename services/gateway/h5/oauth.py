"""Opening a page through WeChat's web authorisation (网页授权, ``snsapi_base``) instead of a
signed chat link: for menu buttons and other entries that cannot carry a per-user link.

::

    GET /h5/oauth/{account}/{page}            → 302 WeChat's authorize URL (state bound to a cookie)
    GET /h5/oauth/{account}/{page}/callback   ?code&state
        → state matches the cookie → code → openid (``/sns/oauth2/access_token``)
        → 303 /h5/{page}?t=<a fresh signed link>: from here on exactly the signed link's page

``state`` is an HMAC of a random cookie set on the first step, the account and the page, so a
callback URL carrying someone else's code cannot be planted in a victim's browser (it lacks the
cookie). The cookie is ``SameSite=Lax``: WeChat's redirect back is a cross-site navigation. A
code is refused by WeChat when forged, used or expired; the page then says so.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from hashlib import sha256

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from libs.common.db.models import Account
from libs.common.h5_links import (
    APPLY_PAGE,
    BIND_PAGE,
    PHONE_PAGE,
    SUBSCRIPTIONS_PAGE,
    TRANSFER_PAGE,
    UNBIND_PAGE,
    H5LinkSigner,
)
from libs.common.observability.logging import get_logger
from libs.common.secret_box import SecretBox, derive_key
from libs.common.wechat.api.oauth import authorize_url, exchange_code
from libs.common.wechat.errors import WeChatApiError, WeChatTransportError
from services.gateway.h5 import pages
from services.gateway.h5.cookies import PageCookie
from services.gateway.h5.texts import lang_of

log = get_logger(__name__)

COOKIE = "wxhub_h5_oauth"
KEY_PURPOSE = "h5-oauth-state"
PAGES = frozenset(
    {BIND_PAGE, UNBIND_PAGE, SUBSCRIPTIONS_PAGE, PHONE_PAGE, TRANSFER_PAGE, APPLY_PAGE}
)
# A code or state longer than this is not WeChat's.
MAX_PARAM_CHARS = 128


@dataclass(frozen=True, slots=True)
class _App:
    appid: str
    secret: str


class OAuthEntry:
    """The two steps of the web-authorisation entry to the pages."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        signer: H5LinkSigner,
        secret_key: str,
        base_url: str,
        api_base: str,
        oauth_base: str,
        cookie_max_age_s: int,
        timeout_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._signer = signer
        self._key = derive_key(secret_key, KEY_PURPOSE)
        self._base_url = base_url.rstrip("/")
        self._api_base = api_base
        self._oauth_base = oauth_base
        # Lax: WeChat's redirect back to the callback is a cross-site navigation.
        self._cookie = PageCookie(
            COOKIE, "/h5/oauth", "lax", cookie_max_age_s, secure=base_url.startswith("https://")
        )
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))

    async def start(self, request: Request) -> Response:
        """GET /h5/oauth/{account}/{page}: off to WeChat's authorize page."""
        account, page = request.path_params["account"], request.path_params["page"]
        lang = lang_of(request.query_params.get("lang"))
        app = await self._app(account) if page in PAGES else None
        if app is None:
            return pages.notice("forged", 404, lang, again="")
        cookie = secrets.token_hex(16)
        redirect_uri = f"{self._base_url}/h5/oauth/{account}/{page}/callback"
        target = authorize_url(
            self._oauth_base, app.appid, redirect_uri, self._state(cookie, account, page)
        )
        response = RedirectResponse(target, 302, headers=pages.SECURITY_HEADERS)
        self._cookie.set(response, cookie)
        return response

    async def callback(self, request: Request) -> Response:
        """GET /h5/oauth/{account}/{page}/callback: code → openid → the page's signed link."""
        account, page = request.path_params["account"], request.path_params["page"]
        code = request.query_params.get("code", "")
        state = request.query_params.get("state", "")
        cookie = request.cookies.get(COOKIE, "")
        app = await self._app(account) if page in PAGES else None
        if app is None:
            return pages.notice("forged", 404, again="")
        if (
            not code
            or len(code) > MAX_PARAM_CHARS
            or not self._state_valid(cookie, account, page, state)
        ):
            # No code: the user declined (snsapi_base never asks) or the URL was made up.
            return pages.notice("oauth_refused", 400)
        try:
            identity = await exchange_code(self.http, self._api_base, app.appid, app.secret, code)
        except WeChatApiError as exc:
            log.info("h5_oauth_code_refused", account=account, errcode=exc.errcode)
            return pages.notice("oauth_refused", 400)
        except WeChatTransportError as exc:
            log.warning("h5_oauth_unavailable", account=account, error=str(exc))
            return pages.notice("error_unavailable", 503)
        link = self._signer.url("", account, identity.openid, page)
        response = RedirectResponse(link, 303, headers=pages.SECURITY_HEADERS)
        self._cookie.delete(response)
        return response

    async def close(self) -> None:
        """Close the WeChat API client."""
        await self.http.aclose()

    def _state(self, cookie: str, account: str, page: str) -> str:
        message = f"{cookie}|{account}|{page}".encode()
        return hmac.new(self._key, message, sha256).hexdigest()[:32]

    def _state_valid(self, cookie: str, account: str, page: str, state: str) -> bool:
        if not cookie or len(cookie) > 64 or not state or len(state) > MAX_PARAM_CHARS:
            return False
        return hmac.compare_digest(self._state(cookie, account, page), state)

    async def _app(self, account: str) -> _App | None:
        if len(account) > 64:
            return None
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Account.appid, Account.app_secret_enc).where(
                        Account.code == account, Account.enabled
                    )
                )
            ).first()
        return None if row is None else _App(row.appid, self._box.decrypt(row.app_secret_enc))
