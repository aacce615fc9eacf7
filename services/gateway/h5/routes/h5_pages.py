"""The ``/h5/`` pages assembled: the services they share, one handler object per page family,
and the periodic purge of expired records."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from libs.common.h5_links import H5LinkSigner
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from services.gateway.h5.applications import Applications
from services.gateway.h5.binding import BindingService, CoreIdentity
from services.gateway.h5.csrf import CsrfTokens
from services.gateway.h5.limits import DailyLimits
from services.gateway.h5.oauth import OAuthEntry
from services.gateway.h5.phone import CodeRules, PhoneBinding
from services.gateway.h5.routes.applications import ApplicationPages
from services.gateway.h5.routes.binding import BindingPages
from services.gateway.h5.routes.guards import PageGuard
from services.gateway.h5.routes.phone import PhonePages
from services.gateway.h5.routes.subscriptions import SubscriptionPages
from services.gateway.h5.routes.transfer import TransferPage
from services.gateway.h5.subscriptions import Subscriptions
from services.gateway.settings import GatewaySettings


class H5Pages:
    """The pages' handlers and what they share (link checks, CSRF, limits, purging)."""

    def __init__(self, settings: GatewaySettings, resources: Resources) -> None:
        signer = H5LinkSigner(
            settings.secret_key, settings.previous_secret_keys, ttl_s=settings.h5_link_ttl_s
        )
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
        applications = Applications(
            sessions=resources.sessions, phone=self._phone, limits=self._limits
        )
        code_minutes = max(1, round(settings.phone_code_ttl_s / 60))
        self.oauth = OAuthEntry(
            sessions=resources.sessions,
            box=resources.secret_box,
            signer=signer,
            secret_key=settings.secret_key,
            base_url=settings.h5_base_url,
            api_base=settings.wechat_api_base,
            oauth_base=settings.wechat_oauth_base,
            cookie_max_age_s=int(settings.h5_link_ttl_s),
        )
        guard = PageGuard(
            sessions=resources.sessions,
            signer=signer,
            csrf=CsrfTokens(settings.secret_key),
            binding=self._binding,
            max_form_bytes=settings.h5_max_form_bytes,
            cookie_max_age_s=int(settings.h5_link_ttl_s),
            secure_cookie=settings.h5_base_url.startswith("https://"),
            lock_hours=max(1, round(settings.bind_failure_window_s / 3600)),
        )
        self.binding = BindingPages(guard, self._binding)
        self.subscriptions = SubscriptionPages(
            guard, self._binding, Subscriptions(resources.sessions)
        )
        self.phone = PhonePages(guard, self._binding, self._phone, code_minutes)
        self.applications = ApplicationPages(
            guard, self._binding, self._phone, applications, settings, code_minutes
        )
        self.transfer = TransferPage(guard, settings.mobile_banking_transfer_url)
        self._purge = Periodic(
            self._purge_all, interval_s=settings.h5_purge_interval_s, name="h5 purge"
        )

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
