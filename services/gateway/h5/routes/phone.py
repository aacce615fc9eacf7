"""``/h5/phone``: GET shows the form, POST texts a code (``action=send``) or checks it and binds
the number (``action=verify``); see ``services/gateway/h5/phone.py``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import PHONE_PAGE
from services.gateway.h5 import pages
from services.gateway.h5.binding import BindingService
from services.gateway.h5.forms import parse_code, parse_phone
from services.gateway.h5.phone import Checked, PhoneBinding, Sent
from services.gateway.h5.routes.codes import code_refused, pending_note, pending_text
from services.gateway.h5.routes.guards import COMMANDS, PageGuard, client_ip, limited
from services.gateway.h5.texts import text


class PhonePages:
    """The page where a customer binds a mobile number with a texted code."""

    def __init__(
        self, guard: PageGuard, binding: BindingService, phone: PhoneBinding, code_minutes: int
    ) -> None:
        self._guard = guard
        self._binding = binding
        self._phone = phone
        self._code_minutes = code_minutes

    async def show(self, request: Request) -> Response:
        """GET /h5/phone: the number and code form (noting a code already sent)."""
        opened = await self._guard.opened(request, PHONE_PAGE)
        if isinstance(opened, Response):
            return opened
        token, claims, lang = opened.token, opened.claims, opened.lang
        info = await pending_note(self._binding, self._phone, claims, lang, self._code_minutes)
        return self._guard.with_csrf_cookie(
            lambda csrf: pages.phone_form(pages.PhoneForm(token, csrf, lang, info)), claims.nonce
        )

    async def submit(self, request: Request) -> Response:
        """POST /h5/phone: ``action=send`` texts a code, ``action=verify`` checks it and binds."""
        posted = await self._guard.posted(request, PHONE_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted.form, posted.claims, posted.lang
        account_id = await self._guard.account_id(claims, PHONE_PAGE, lang)
        if isinstance(account_id, Response):
            return account_id
        token, csrf = form["t"], form.get("csrf", "")

        def again(status: int, error: str = "", info: str = "") -> Response:
            return pages.phone_form(pages.PhoneForm(token, csrf, lang, info, error), status)

        action = form.get("action")
        if action == "send":
            phone = parse_phone(form)
            pending = await self._phone.pending(account_id, claims.openid)
            if phone is None or (not phone and pending is None):
                return again(400, text("error.phone", lang))
            sent = await self._phone.send(claims, account_id, phone or None)
            if sent.outcome is Sent.SENT:
                return again(200, info=pending_text(sent.masked, lang, self._code_minutes))
            if sent.limit is not None:
                return limited(sent.limit, lang)
            if sent.outcome is Sent.THROTTLED:
                error = text("error.code_throttled", lang, seconds=sent.wait_s)
                return again(429, error, pending_text(pending, lang, self._code_minutes))
            return again(503, text("error.sms_unavailable", lang))
        if action != "verify":
            return pages.notice("unreadable", 400, lang)
        code = parse_code(form)
        if code is None:
            return again(400, text("error.code_format", lang))
        checked = await self._phone.verify(claims, account_id, code, client_ip(request))
        if checked.outcome is Checked.BOUND:
            return pages.notice("phone_bound", 200, lang, phone=checked.masked)
        if checked.outcome is Checked.USED:
            return pages.link_refused("used", COMMANDS[PHONE_PAGE], lang)
        return again(*code_refused(checked, lang))
