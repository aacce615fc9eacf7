"""``/h5/bind``: the identity-binding page (GET shows the form, POST checks and binds).

Order of checks on POST, cheapest and least revealing first: body size and shape → CSRF → link
signature and expiry → link already used → lock-out → field formats → core system. Nothing the
user typed is echoed back, stored or logged.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import BIND_PAGE, H5LinkSigner, LinkClaims, LinkRefused, is_used
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from services.gateway.h5 import pages
from services.gateway.h5.binding import BindingService, CoreIdentity, Outcome
from services.gateway.h5.csrf import COOKIE, CsrfTokens
from services.gateway.h5.forms import FormTooLarge, FormUnreadable, parse_identity, read_form
from services.gateway.settings import GatewaySettings


class BindPage:
    """The binding page's handlers and what they share."""

    def __init__(self, settings: GatewaySettings, resources: Resources) -> None:
        self._settings = settings
        self._sessions = resources.sessions
        self._signer = H5LinkSigner(
            settings.secret_key, settings.previous_secret_keys, ttl_s=settings.h5_link_ttl_s
        )
        self._csrf = CsrfTokens(settings.secret_key)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(settings.core_timeout_s))
        self._binding = BindingService(
            sessions=resources.sessions,
            bus=resources.bus,
            core=CoreIdentity(self.http, settings.core_url),
            max_failures=settings.bind_max_failures,
            failure_window_s=settings.bind_failure_window_s,
        )
        self._secure_cookie = settings.h5_base_url.startswith("https://")
        self._purge = Periodic(
            self._binding.purge, interval_s=settings.h5_purge_interval_s, name="h5 purge"
        )
        hours = max(1, round(settings.bind_failure_window_s / 3600))
        self._locked_text = (
            f"身份验证失败次数过多，绑定功能已暂时锁定，请 {hours} 小时后再试或联系客服。"
        )

    async def start(self) -> None:
        """Start purging expired records."""
        await self._purge.start()

    async def stop(self) -> None:
        """Stop purging and close the core-system client."""
        await self._purge.stop()
        await self.http.aclose()

    async def _usable(self, token: str) -> LinkClaims | Response:
        try:
            claims = self._signer.verify(token, BIND_PAGE)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason)
        async with self._sessions() as session:
            if await is_used(session, claims):
                return pages.link_refused("used")
        account_id = await self._binding.account_id(claims.account)
        if account_id is None:
            return pages.link_refused("forged")
        if await self._binding.locked(account_id, claims.openid):
            return pages.message("绑定已锁定", self._locked_text, 403)
        return claims

    async def show(self, request: Request) -> Response:
        """GET: the form for a usable link, or a page saying why not."""
        usable = await self._usable(request.query_params.get("t", ""))
        if isinstance(usable, Response):
            return usable
        cookie = CsrfTokens.new_cookie()
        form = pages.BindForm(
            token=request.query_params["t"], csrf=self._csrf.form_token(cookie, usable.nonce)
        )
        response = pages.bind_form(form)
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

    async def submit(self, request: Request) -> Response:
        """POST: check everything, then bind or say what went wrong."""
        try:
            form = await read_form(request, self._settings.h5_max_form_bytes)
        except FormTooLarge:
            return pages.message("提交内容过大", "提交的内容超出限制，请返回重新填写。", 413)
        except FormUnreadable:
            return pages.message("无法识别的提交", "请通过绑定页面提交。", 400)
        token = form.get("t", "")
        try:
            claims = self._signer.verify(token, BIND_PAGE)
        except LinkRefused as refused:
            return pages.link_refused(refused.reason)
        if not self._csrf.valid(request.cookies.get(COOKIE), claims.nonce, form.get("csrf")):
            return pages.message(
                "页面已失效", "页面校验失败，请从公众号消息中的链接重新打开绑定页面。", 403
            )
        usable = await self._usable(token)
        if isinstance(usable, Response):
            return usable
        identity = parse_identity(form)
        csrf = form.get("csrf", "")
        if isinstance(identity, str):
            return pages.bind_form(pages.BindForm(token=token, csrf=csrf, error=identity), 400)
        client_ip = request.client.host if request.client else ""
        result = await self._binding.attempt(claims, identity, client_ip)
        if result.outcome is Outcome.BOUND:
            return pages.message(
                "绑定成功", "身份验证通过，绑定已完成。请返回公众号，发送“余额”或“明细”查询。", 200
            )
        if result.outcome is Outcome.MISMATCH:
            error = f"身份信息不匹配，请核对后重试（还可尝试 {result.tries_left} 次）。"
            return pages.bind_form(pages.BindForm(token=token, csrf=csrf, error=error), 422)
        if result.outcome is Outcome.LOCKED:
            return pages.message("绑定已锁定", self._locked_text, 403)
        if result.outcome is Outcome.USED:
            return pages.link_refused("used")
        if result.outcome is Outcome.UNKNOWN_ACCOUNT:
            return pages.link_refused("forged")
        error = "系统繁忙，暂时无法验证身份，请稍后再试。"
        return pages.bind_form(pages.BindForm(token=token, csrf=csrf, error=error), 503)


def install_h5(api: FastAPI, settings: GatewaySettings, resources: Resources) -> BindPage:
    """Mount ``/h5/bind`` on the gateway's app; the caller starts and stops the page."""
    page = BindPage(settings, resources)
    router = APIRouter(prefix="/h5", include_in_schema=False)
    router.add_api_route("/bind", page.show, methods=["GET"])
    router.add_api_route("/bind", page.submit, methods=["POST"])
    api.include_router(router)
    return page
