"""``/h5/bind`` (GET shows the form, POST checks and binds), ``/h5/unbind`` (GET asks to
confirm, POST removes the binding) and ``/h5/subscriptions`` (GET shows the reminder types with
the customer's choices, POST stores them), ``/h5/phone`` (GET shows the form, POST sends a
code or checks it, ``phone.py``), ``/h5/apply`` (GET shows the application form, POST sends a
code or submits, ``applications.py``), ``/h5/transfer`` (GET only: the way into mobile
banking); ``/h5/oauth/{account}/{page}`` opens any of them through WeChat's web authorisation
instead of a chat link (``oauth.py``).

Order of checks on POST, cheapest and least revealing first: body size and shape → CSRF → link
signature and expiry → link already used → lock-out → field formats → the day's cap of the
operation (``limits.py``) → core system or SMS gateway. Nothing the user typed is echoed back
(except an application's name and product once they passed their checks), stored or logged
(a verified phone number is stored, encrypted; so is an application).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from fastapi import APIRouter, FastAPI
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
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from services.gateway.h5 import pages
from services.gateway.h5.applications import Applications, Applied
from services.gateway.h5.binding import BindingService, CoreIdentity, Outcome
from services.gateway.h5.csrf import COOKIE, CsrfTokens
from services.gateway.h5.forms import (
    MAX_FIELDS,
    FormTooLarge,
    FormUnreadable,
    parse_application,
    parse_code,
    parse_identity,
    parse_name,
    parse_phone,
    parse_product,
    read_form,
)
from services.gateway.h5.limits import DailyLimits, LimitReached
from services.gateway.h5.oauth import OAuthEntry
from services.gateway.h5.phone import Checked, CheckResult, CodeRules, PhoneBinding, Sent
from services.gateway.h5.subscriptions import (
    MAX_CHOICES,
    Choice,
    Saved,
    Subscriptions,
    chosen_types,
)
from services.gateway.h5.texts import Lang, lang_of, text
from services.gateway.settings import GatewaySettings

# What a user sends in chat to get a new link to each page.
_COMMANDS = {
    BIND_PAGE: "绑定",
    UNBIND_PAGE: "解绑",
    SUBSCRIPTIONS_PAGE: "订阅",
    PHONE_PAGE: "绑定手机",
    TRANSFER_PAGE: "转账",
    APPLY_PAGE: "申请",
}


class H5Pages:
    """The pages' handlers and what they share (link checks, CSRF, limits, purging)."""

    def __init__(self, settings: GatewaySettings, resources: Resources) -> None:
        self._settings = settings
        self._sessions = resources.sessions
        self._signer = H5LinkSigner(
            settings.secret_key, settings.previous_secret_keys, ttl_s=settings.h5_link_ttl_s
        )
        self._csrf = CsrfTokens(settings.secret_key)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(settings.core_timeout_s))
        self._limits = DailyLimits(resources.sessions, settings.operation_daily_limits)
        self._binding = BindingService(
            sessions=resources.sessions,
            box=resources.secret_box,
            bus=resources.bus,
            core=CoreIdentity(self.http, settings.core_url),
            max_failures=settings.bind_max_failures,
            failure_window_s=settings.bind_failure_window_s,
            limits=self._limits,
        )
        self._subscriptions = Subscriptions(resources.sessions)
        self._phone = PhoneBinding(
            sessions=resources.sessions,
            box=resources.secret_box,
            secret_key=settings.secret_key,
            http=self.http,
            sms_url=settings.sms_url,
            rules=CodeRules(
                ttl_s=settings.phone_code_ttl_s,
                max_tries=settings.phone_code_max_tries,
                resend_s=settings.phone_code_resend_s,
                sms_text=settings.phone_code_sms_text,
            ),
            limits=self._limits,
        )
        self._applications = Applications(
            sessions=resources.sessions, phone=self._phone, limits=self._limits
        )
        self._code_minutes = max(1, round(settings.phone_code_ttl_s / 60))
        self.oauth = OAuthEntry(
            sessions=resources.sessions,
            box=resources.secret_box,
            signer=self._signer,
            secret_key=settings.secret_key,
            base_url=settings.h5_base_url,
            api_base=settings.wechat_api_base,
            oauth_base=settings.wechat_oauth_base,
            cookie_max_age_s=int(settings.h5_link_ttl_s),
        )
        self._secure_cookie = settings.h5_base_url.startswith("https://")
        self._purge = Periodic(
            self._purge_all, interval_s=settings.h5_purge_interval_s, name="h5 purge"
        )
        self._lock_hours = max(1, round(settings.bind_failure_window_s / 3600))

    async def start(self) -> None:
        """Start purging expired records."""
        await self._purge.start()

    async def stop(self) -> None:
        """Stop purging and close the core-system client."""
        await self._purge.stop()
        await self.http.aclose()
        await self.oauth.close()

    async def _purge_all(self) -> None:
        await self._binding.purge()
        await self._phone.purge(datetime.now(UTC))
        await self._limits.purge(datetime.now(UTC))

    def _locked(self, lang: Lang) -> Response:
        return pages.notice("locked", 403, lang, hours=self._lock_hours)

    async def _usable(self, token: str, page: str, lang: Lang) -> LinkClaims | Response:
        command = _COMMANDS[page]
        try:
            claims = self._signer.verify(token, page)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason, command, lang)
        async with self._sessions() as session:
            if await is_used(session, claims):
                return pages.link_refused("used", command, lang)
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged", command, lang)
        if page == BIND_PAGE and await self._binding.locked(account_id, claims.openid):
            return self._locked(lang)
        return claims

    def _with_csrf_cookie(self, render: Callable[[str], Response], nonce: str) -> Response:
        cookie = CsrfTokens.new_cookie()
        response = render(self._csrf.form_token(cookie, nonce))
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(self._settings.h5_link_ttl_s),
            path="/h5",
            secure=self._secure_cookie,
            httponly=True,
            samesite="strict",
        )
        return response

    async def _posted(
        self, request: Request, page: str, max_fields: int = MAX_FIELDS
    ) -> tuple[dict[str, str], LinkClaims, Lang] | Response:
        """The form, the link's claims and the page language of a POST that passed size, CSRF
        and link checks."""
        try:
            form = await read_form(request, self._settings.h5_max_form_bytes, max_fields)
        except FormTooLarge:
            return pages.notice("too_large", 413)
        except FormUnreadable:
            return pages.notice("unreadable", 400)
        lang = lang_of(form.get("lang"))
        token = form.get("t", "")
        try:
            claims = self._signer.verify(token, page)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason, _COMMANDS[page], lang)
        if not self._csrf.valid(request.cookies.get(COOKIE), claims.nonce, form.get("csrf")):
            return pages.notice("csrf", 403, lang)
        usable = await self._usable(token, page, lang)
        if isinstance(usable, Response):
            return usable
        return form, usable, lang

    async def show(self, request: Request) -> Response:
        """GET /h5/bind: the form for a usable link, or a page saying why not."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, BIND_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        return self._with_csrf_cookie(
            lambda csrf: pages.bind_form(pages.BindForm(token=token, csrf=csrf, lang=lang)),
            usable.nonce,
        )

    async def submit(self, request: Request) -> Response:
        """POST /h5/bind: check everything, then bind or say what went wrong."""
        posted = await self._posted(request, BIND_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted
        token, csrf = form["t"], form.get("csrf", "")

        def again(error: str, status: int) -> Response:
            return pages.bind_form(pages.BindForm(token, csrf, error, lang), status)

        identity = parse_identity(form)
        if isinstance(identity, str):
            return again(text(identity, lang), 400)
        client_ip = request.client.host if request.client else ""
        result = await self._binding.attempt(claims, identity, client_ip)
        if result.outcome is Outcome.BOUND:
            return pages.notice("bound", 200, lang)
        if result.outcome is Outcome.MISMATCH:
            return again(text("error.mismatch", lang, tries=result.tries_left), 422)
        if result.outcome is Outcome.LOCKED:
            return self._locked(lang)
        if result.limit is not None:
            return _limited(result.limit, lang)
        if result.outcome is Outcome.USED:
            return pages.link_refused("used", "绑定", lang)
        if result.outcome is Outcome.UNKNOWN_ACCOUNT:
            return pages.link_refused("forged", "绑定", lang)
        return again(text("error.unavailable", lang), 503)

    async def show_unbind(self, request: Request) -> Response:
        """GET /h5/unbind: asks to confirm."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, UNBIND_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        return self._with_csrf_cookie(
            lambda csrf: pages.unbind_form(token, csrf, lang), usable.nonce
        )

    async def submit_unbind(self, request: Request) -> Response:
        """POST /h5/unbind: the confirmation; removes the binding."""
        posted = await self._posted(request, UNBIND_PAGE)
        if isinstance(posted, Response):
            return posted
        _, claims, lang = posted
        client_ip = request.client.host if request.client else ""
        outcome = await self._binding.unbind(claims, client_ip)
        if outcome is Outcome.UNBOUND:
            return pages.notice("unbound", 200, lang)
        if outcome is Outcome.NOT_BOUND:
            return pages.notice("not_bound", 409, lang)
        if outcome is Outcome.USED:
            return pages.link_refused("used", "解绑", lang)
        return pages.link_refused("forged", "解绑", lang)

    async def show_subscriptions(self, request: Request) -> Response:
        """GET /h5/subscriptions: the reminder types, ticked where the customer gets them."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, SUBSCRIPTIONS_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        choices = await self._choices(usable)
        if choices is None:
            return pages.notice("not_bound_sub", 409, lang)
        return self._with_csrf_cookie(
            lambda csrf: pages.subscriptions_form(token, csrf, choices, lang), usable.nonce
        )

    async def submit_subscriptions(self, request: Request) -> Response:
        """POST /h5/subscriptions: store the ticked types; the others are opted out of."""
        posted = await self._posted(request, SUBSCRIPTIONS_PAGE, MAX_FIELDS + MAX_CHOICES)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted
        account_id = await self._binding.account_id(claims.account)
        choices = None
        if account_id is not None:
            choices = await self._subscriptions.choices(account_id, claims.openid)
        if account_id is None or choices is None:
            return pages.notice("not_bound_sub", 409, lang)
        chosen = chosen_types(form, [c.event_type for c in choices])
        if chosen is None:
            return pages.notice("unreadable", 400, lang)
        client_ip = request.client.host if request.client else ""
        saved = await self._subscriptions.save(claims, account_id, chosen, client_ip)
        if saved is Saved.SAVED:
            return pages.notice("saved", 200, lang)
        if saved is Saved.USED:
            return pages.link_refused("used", "订阅", lang)
        return pages.notice("not_bound_sub", 409, lang)

    async def _choices(self, claims: LinkClaims) -> list[Choice] | None:
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return None
        return await self._subscriptions.choices(account_id, claims.openid)

    async def show_phone(self, request: Request) -> Response:
        """GET /h5/phone: the number and code form (noting a code already sent)."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, PHONE_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        account_id = await self._binding.account_id(usable.account)
        pending = (
            None if account_id is None else await self._phone.pending(account_id, usable.openid)
        )
        info = self._pending_text(pending, lang)
        return self._with_csrf_cookie(
            lambda csrf: pages.phone_form(pages.PhoneForm(token, csrf, lang, info)), usable.nonce
        )

    async def submit_phone(self, request: Request) -> Response:
        """POST /h5/phone: ``action=send`` texts a code, ``action=verify`` checks it and binds."""
        posted = await self._posted(request, PHONE_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged", _COMMANDS[PHONE_PAGE], lang)
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
                return again(200, info=self._pending_text(sent.masked, lang))
            if sent.limit is not None:
                return _limited(sent.limit, lang)
            if sent.outcome is Sent.THROTTLED:
                error = text("error.code_throttled", lang, seconds=sent.wait_s)
                return again(429, error, self._pending_text(pending, lang))
            return again(503, text("error.sms_unavailable", lang))
        if action != "verify":
            return pages.notice("unreadable", 400, lang)
        code = parse_code(form)
        if code is None:
            return again(400, text("error.code_format", lang))
        client_ip = request.client.host if request.client else ""
        checked = await self._phone.verify(claims, account_id, code, client_ip)
        if checked.outcome is Checked.BOUND:
            return pages.notice("phone_bound", 200, lang, phone=checked.masked)
        if checked.outcome is Checked.USED:
            return pages.link_refused("used", _COMMANDS[PHONE_PAGE], lang)
        return again(*_code_refused(checked, lang))

    async def show_apply(self, request: Request) -> Response:
        """GET /h5/apply: the application form (noting a code already sent)."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, APPLY_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        account_id = await self._binding.account_id(usable.account)
        pending = (
            None if account_id is None else await self._phone.pending(account_id, usable.openid)
        )
        products = self._settings.application_products
        info = self._pending_text(pending, lang)
        return self._with_csrf_cookie(
            lambda csrf: pages.apply_form(pages.ApplyForm(token, csrf, products, lang, info=info)),
            usable.nonce,
        )

    async def submit_apply(self, request: Request) -> Response:
        """POST /h5/apply: ``action=send`` texts a code, ``action=submit`` stores the
        application once the code matches."""
        posted = await self._posted(request, APPLY_PAGE)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged", _COMMANDS[APPLY_PAGE], lang)
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
                return again(200, info=self._pending_text(sent.masked, lang))
            if sent.limit is not None:
                return _limited(sent.limit, lang)
            if sent.outcome is Sent.THROTTLED:
                pending = await self._phone.pending(account_id, claims.openid)
                error = text("error.code_throttled", lang, seconds=sent.wait_s)
                return again(429, error, self._pending_text(pending, lang))
            return again(503, text("error.sms_unavailable", lang))
        if action != "submit":
            return pages.notice("unreadable", 400, lang)
        application = parse_application(form, products)
        if isinstance(application, str):
            return again(400, text(application, lang))
        code = parse_code(form)
        if code is None:
            return again(400, text("error.code_format", lang))
        client_ip = request.client.host if request.client else ""
        result = await self._applications.submit(claims, account_id, application, code, client_ip)
        if result.outcome is Applied.SUBMITTED:
            return pages.notice("applied", 200, lang, reference=result.reference)
        if result.checked is not None:
            return again(*_code_refused(result.checked, lang))
        if result.limit is not None:
            return _limited(result.limit, lang)
        if result.outcome is Applied.DUPLICATE:
            return pages.notice("apply_duplicate", 409, lang)
        return pages.link_refused("used", _COMMANDS[APPLY_PAGE], lang)

    async def show_transfer(self, request: Request) -> Response:
        """GET /h5/transfer: the way into mobile banking (nothing is transferred here)."""
        token = request.query_params.get("t", "")
        lang = lang_of(request.query_params.get("lang"))
        usable = await self._usable(token, TRANSFER_PAGE, lang)
        if isinstance(usable, Response):
            return usable
        return pages.transfer_page(token, self._settings.mobile_banking_transfer_url, lang)

    def _pending_text(self, masked: str | None, lang: Lang) -> str:
        if not masked:
            return ""
        return text("phone.pending", lang, phone=masked, minutes=self._code_minutes)


def _code_refused(checked: CheckResult, lang: Lang) -> tuple[int, str]:
    """The status and message of a verification code that was not accepted."""
    errors = {
        Checked.WRONG: (422, text("error.code_wrong", lang, tries=checked.tries_left)),
        Checked.NO_TRIES: (403, text("error.code_no_tries", lang)),
        Checked.EXPIRED: (410, text("error.code_expired", lang)),
        Checked.NO_CODE: (400, text("error.code_none", lang)),
    }
    return errors[checked.outcome]


def _limited(reached: LimitReached, lang: Lang) -> Response:
    """The day's cap of an operation is used up: say which, how many, and when it resets."""
    return pages.notice("limited", 429, lang, operation=reached.label, limit=reached.limit)


def install_h5(api: FastAPI, settings: GatewaySettings, resources: Resources) -> H5Pages:
    """Mount the ``/h5/`` pages on the gateway's app; the caller starts and stops them."""
    page = H5Pages(settings, resources)
    router = APIRouter(prefix="/h5", include_in_schema=False)
    router.add_api_route("/bind", page.show, methods=["GET"])
    router.add_api_route("/bind", page.submit, methods=["POST"])
    router.add_api_route("/unbind", page.show_unbind, methods=["GET"])
    router.add_api_route("/unbind", page.submit_unbind, methods=["POST"])
    router.add_api_route("/subscriptions", page.show_subscriptions, methods=["GET"])
    router.add_api_route("/subscriptions", page.submit_subscriptions, methods=["POST"])
    router.add_api_route("/phone", page.show_phone, methods=["GET"])
    router.add_api_route("/phone", page.submit_phone, methods=["POST"])
    router.add_api_route("/apply", page.show_apply, methods=["GET"])
    router.add_api_route("/apply", page.submit_apply, methods=["POST"])
    router.add_api_route("/transfer", page.show_transfer, methods=["GET"])
    router.add_api_route("/oauth/{account}/{page}", page.oauth.start, methods=["GET"])
    router.add_api_route("/oauth/{account}/{page}/callback", page.oauth.callback, methods=["GET"])
    api.include_router(router)
    return page
