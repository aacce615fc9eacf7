"""``/h5/apply``: GET shows the application form, POST texts a code (``action=send``) or submits
the application once the code matches (``action=submit``); see
``services/gateway/h5/applications.py``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import APPLY_PAGE
from services.gateway.h5 import pages
from services.gateway.h5.applications import Applications, Applied
from services.gateway.h5.binding import BindingService
from services.gateway.h5.forms import (
    parse_application,
    parse_code,
    parse_name,
    parse_phone,
    parse_product,
)
from services.gateway.h5.phone import PhoneBinding, Sent
from services.gateway.h5.routes.codes import code_refused, pending_note, pending_text
from services.gateway.h5.routes.guards import COMMANDS, PageGuard, client_ip, limited
from services.gateway.h5.texts import text
from services.gateway.settings import GatewaySettings


class ApplicationPages:
    """The page where a customer applies for a product, confirming their number with a code."""

    def __init__(
        self,
        guard: PageGuard,
        binding: BindingService,
        phone: PhoneBinding,
        applications: Applications,
        settings: GatewaySettings,
        code_minutes: int,
    ) -> None:
        self._guard = guard
        self._binding = binding
        self._phone = phone
        self._applications = applications
        self._settings = settings
        self._code_minutes = code_minutes

    async def show(self, request: Request) -> Response:
        """GET /h5/apply: the application form (noting a code already sent)."""
        opened = await self._guard.opened(request, APPLY_PAGE)
        if isinstance(opened, Response):
            return opened
        token, claims, lang = opened.token, opened.claims, opened.lang
        products = self._settings.application_products
        info = await pending_note(self._binding, self._phone, claims, lang, self._code_minutes)
        return self._guard.with_csrf_cookie(
            lambda csrf: pages.apply_form(pages.ApplyForm(token, csrf, products, lang, info=info)),
            claims.nonce,
        )

    async def submit(self, request: Request) -> Response:
        """POST /h5/apply: ``action=send`` texts a code, ``action=submit`` stores the
        application once the code matches."""
        posted = await self._guard.posted(request, APPLY_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted.form, posted.claims, posted.lang
        account_id = await self._guard.account_id(claims, APPLY_PAGE, lang)
        if isinstance(account_id, Response):
            return account_id
        products = self._settings.application_products
        # Only values that passed their checks are shown again (never raw input).
        name = parse_name(form) or ""
        product = parse_product(form, products) or ""

        def again(status: int, error: str = "", info: str = "") -> Response:
            shown = pages.ApplyForm(
                form["t"], form.get("csrf", ""), products, lang, name, product, info, error
            )
            return pages.apply_form(shown, status)

        action = form.get("action")
        if action == "send":
            phone = parse_phone(form)
            if not phone:
                return again(400, text("error.phone", lang))
            sms_text = self._settings.application_code_sms_text
            sent = await self._phone.send(claims, account_id, phone, sms_text)
            if sent.outcome is Sent.SENT:
                return again(200, info=pending_text(sent.masked, lang, self._code_minutes))
            if sent.limit is not None:
                return limited(sent.limit, lang)
            if sent.outcome is Sent.THROTTLED:
                pending = await self._phone.pending(account_id, claims.openid)
                error = text("error.code_throttled", lang, seconds=sent.wait_s)
                return again(429, error, pending_text(pending, lang, self._code_minutes))
            return again(503, text("error.sms_unavailable", lang))
        if action != "submit":
            return pages.notice("unreadable", 400, lang)
        application = parse_application(form, products)
        if isinstance(application, str):
            return again(400, text(application, lang))
        code = parse_code(form)
        if code is None:
            return again(400, text("error.code_format", lang))
        result = await self._applications.submit(
            claims, account_id, application, code, client_ip(request)
        )
        if result.outcome is Applied.SUBMITTED:
            return pages.notice("applied", 200, lang, reference=result.reference)
        if result.checked is not None:
            return again(*code_refused(result.checked, lang))
        if result.limit is not None:
            return limited(result.limit, lang)
        if result.outcome is Applied.DUPLICATE:
            return pages.notice("apply_duplicate", 409, lang)
        return pages.link_refused("used", COMMANDS[APPLY_PAGE], lang)
