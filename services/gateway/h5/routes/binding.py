"""``/h5/bind`` (GET shows the form, POST checks the identity and binds) and ``/h5/unbind`` (GET
asks to confirm, POST removes the binding)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import BIND_PAGE, UNBIND_PAGE
from services.gateway.h5 import pages
from services.gateway.h5.binding import BindingService, Outcome
from services.gateway.h5.forms import parse_identity
from services.gateway.h5.routes.guards import PageGuard, client_ip, limited
from services.gateway.h5.texts import text


class BindingPages:
    """The binding and unbinding pages."""

    def __init__(self, guard: PageGuard, binding: BindingService) -> None:
        self._guard = guard
        self._binding = binding

    async def show(self, request: Request) -> Response:
        """GET /h5/bind: the form for a usable link, or a page saying why not."""
        opened = await self._guard.opened(request, BIND_PAGE)
        if isinstance(opened, Response):
            return opened
        token, lang = opened.token, opened.lang
        return self._guard.with_csrf_cookie(
            lambda csrf: pages.bind_form(pages.BindForm(token=token, csrf=csrf, lang=lang)),
            opened.claims.nonce,
        )

    async def submit(self, request: Request) -> Response:
        """POST /h5/bind: check everything, then bind or say what went wrong."""
        posted = await self._guard.posted(request, BIND_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted.form, posted.claims, posted.lang
        token, csrf = form["t"], form.get("csrf", "")

        def again(error: str, status: int) -> Response:
            return pages.bind_form(pages.BindForm(token, csrf, error, lang), status)

        identity = parse_identity(form)
        if isinstance(identity, str):
            return again(text(identity, lang), 400)
        result = await self._binding.attempt(claims, identity, client_ip(request))
        if result.outcome is Outcome.BOUND:
            return pages.notice("bound", 200, lang)
        if result.outcome is Outcome.MISMATCH:
            return again(text("error.mismatch", lang, tries=result.tries_left), 422)
        if result.outcome is Outcome.LOCKED:
            return self._guard.locked(lang)
        if result.limit is not None:
            return limited(result.limit, lang)
        if result.outcome is Outcome.USED:
            return pages.link_refused("used", "绑定", lang)
        if result.outcome is Outcome.UNKNOWN_ACCOUNT:
            return pages.link_refused("forged", "绑定", lang)
        return again(text("error.unavailable", lang), 503)

    async def show_unbind(self, request: Request) -> Response:
        """GET /h5/unbind: asks to confirm."""
        opened = await self._guard.opened(request, UNBIND_PAGE)
        if isinstance(opened, Response):
            return opened
        token, lang = opened.token, opened.lang
        return self._guard.with_csrf_cookie(
            lambda csrf: pages.unbind_form(token, csrf, lang), opened.claims.nonce
        )

    async def submit_unbind(self, request: Request) -> Response:
        """POST /h5/unbind: the confirmation; removes the binding."""
        posted = await self._guard.posted(request, UNBIND_PAGE)
        if isinstance(posted, Response):
            return posted
        lang = posted.lang
        outcome = await self._binding.unbind(posted.claims, client_ip(request))
        if outcome is Outcome.UNBOUND:
            return pages.notice("unbound", 200, lang)
        if outcome is Outcome.NOT_BOUND:
            return pages.notice("not_bound", 409, lang)
        if outcome is Outcome.USED:
            return pages.link_refused("used", "解绑", lang)
        return pages.link_refused("forged", "解绑", lang)
