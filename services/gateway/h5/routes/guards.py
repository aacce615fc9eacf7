"""The checks every ``/h5/`` page runs before its own work, and the refusals they share.

Order of checks on POST, cheapest and least revealing first: body size and shape → CSRF → link
signature and expiry → link already used → lock-out → field formats → the day's cap of the
operation (``limits.py``) → core system or SMS gateway. Nothing the user typed is echoed back
(except an application's name and product once they passed their checks), stored or logged
(a verified phone number is stored, encrypted; so is an application).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import (
    APPLY_PAGE,
    BIND_PAGE,
    PHONE_PAGE,
    SUBSCRIPTIONS_PAGE,
    TRANSFER_PAGE,
    UNBIND_PAGE,
    H5LinkSigner,
    LinkClaims,
    LinkRefused,
    is_used,
)
from services.gateway.h5 import pages
from services.gateway.h5.binding import BindingService
from services.gateway.h5.cookies import PageCookie
from services.gateway.h5.csrf import COOKIE, CsrfTokens
from services.gateway.h5.forms import MAX_FIELDS, FormTooLarge, FormUnreadable, read_form
from services.gateway.h5.limits import LimitReached
from services.gateway.h5.texts import Lang, lang_of

# What a user sends in chat to get a new link to each page.
COMMANDS = {
    BIND_PAGE: "绑定",
    UNBIND_PAGE: "解绑",
    SUBSCRIPTIONS_PAGE: "订阅",
    PHONE_PAGE: "绑定手机",
    TRANSFER_PAGE: "转账",
    APPLY_PAGE: "申请",
}


@dataclass(frozen=True, slots=True)
class Opened:
    """A GET whose link is usable: the token, its claims and the page language."""

    token: str
    claims: LinkClaims
    lang: Lang


@dataclass(frozen=True, slots=True)
class Posted:
    """A POST that passed the size, CSRF and link checks: its form, claims and language."""

    form: dict[str, str]
    claims: LinkClaims
    lang: Lang


class PageGuard:
    """Link, CSRF and lock-out checks for the pages, and the CSRF cookie their forms carry."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        signer: H5LinkSigner,
        csrf: CsrfTokens,
        binding: BindingService,
        max_form_bytes: int,
        cookie_max_age_s: int,
        secure_cookie: bool,
        lock_hours: int,
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._csrf = csrf
        self._binding = binding
        self._max_form_bytes = max_form_bytes
        self._cookie = PageCookie(COOKIE, "/h5", "strict", cookie_max_age_s, secure_cookie)
        self._lock_hours = lock_hours

    def locked(self, lang: Lang) -> Response:
        """Too many failed binding attempts: say for how long binding is locked."""
        return pages.notice("locked", 403, lang, hours=self._lock_hours)

    async def opened(self, request: Request, page: str) -> Opened | Response:
        """The link of a GET, if it is usable; otherwise the page saying why not."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        try:
            claims = self._signer.verify(token, page)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason, COMMANDS[page], lang)
        usable = await self._still_usable(claims, page, lang)
        if isinstance(usable, Response):
            return usable
        return Opened(token, usable, lang)

    async def posted(
        self, request: Request, page: str, max_fields: int = MAX_FIELDS
    ) -> Posted | Response:
        """The form, the link's claims and the page language of a POST that passed size, CSRF
        and link checks."""
        try:
            form = await read_form(request, self._max_form_bytes, max_fields)
        except FormTooLarge:
            return pages.notice("too_large", 413)
        except FormUnreadable:
            return pages.notice("unreadable", 400)
        lang = lang_of(form.get("lang"))
        try:
            claims = self._signer.verify(form.get("t", ""), page)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason, COMMANDS[page], lang)
        if not self._csrf.valid(request.cookies.get(COOKIE), claims.nonce, form.get("csrf")):
            return pages.notice("csrf", 403, lang)
        usable = await self._still_usable(claims, page, lang)
        if isinstance(usable, Response):
            return usable
        return Posted(form, usable, lang)

    async def account_id(self, claims: LinkClaims, page: str, lang: Lang) -> int | Response:
        """The id of the link's account, or the forged-link page if it no longer exists."""
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged", COMMANDS[page], lang)
        return account_id

    def with_csrf_cookie(self, render: Callable[[str], Response], nonce: str) -> Response:
        """``render`` the form with a CSRF token, setting the cookie the token is bound to."""
        cookie = CsrfTokens.new_cookie()
        response = render(self._csrf.form_token(cookie, nonce))
        self._cookie.set(response, cookie)
        return response

    async def _still_usable(
        self, claims: LinkClaims, page: str, lang: Lang
    ) -> LinkClaims | Response:
        """A verified link that is not used yet, of a known account (and, to bind, not locked)."""
        command = COMMANDS[page]
        async with self._sessions() as session:
            if await is_used(session, claims):
                return pages.link_refused("used", command, lang)
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged", command, lang)
        if page == BIND_PAGE and await self._binding.locked(account_id, claims.openid):
            return self.locked(lang)
        return claims


def client_ip(request: Request) -> str:
    """The caller's address for the audit trail (``""`` when unknown)."""
    return request.client.host if request.client else ""


def limited(reached: LimitReached, lang: Lang) -> Response:
    """The day's cap of an operation is used up: say which, how many, and when it resets."""
    return pages.notice("limited", 429, lang, operation=reached.label, limit=reached.limit)
