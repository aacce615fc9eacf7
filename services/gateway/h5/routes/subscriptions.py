"""``/h5/subscriptions``: GET shows the reminder types with the customer's choices, POST stores
them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from libs.common.h5_links import SUBSCRIPTIONS_PAGE, LinkClaims
from services.gateway.h5 import pages
from services.gateway.h5.binding import BindingService
from services.gateway.h5.forms import MAX_FIELDS
from services.gateway.h5.routes.guards import PageGuard, client_ip
from services.gateway.h5.subscriptions import (
    MAX_CHOICES,
    Choice,
    Saved,
    Subscriptions,
    chosen_types,
)


class SubscriptionPages:
    """The page where a bound customer picks the reminders they get."""

    def __init__(
        self, guard: PageGuard, binding: BindingService, subscriptions: Subscriptions
    ) -> None:
        self._guard = guard
        self._binding = binding
        self._subscriptions = subscriptions

    async def show(self, request: Request) -> Response:
        """GET /h5/subscriptions: the reminder types, ticked where the customer gets them."""
        opened = await self._guard.opened(request, SUBSCRIPTIONS_PAGE)
        if isinstance(opened, Response):
            return opened
        token, lang = opened.token, opened.lang
        choices = await self._choices(opened.claims)
        if choices is None:
            return pages.notice("not_bound_sub", 409, lang)
        return self._guard.with_csrf_cookie(
            lambda csrf: pages.subscriptions_form(token, csrf, choices, lang), opened.claims.nonce
        )

    async def submit(self, request: Request) -> Response:
        """POST /h5/subscriptions: store the ticked types; the others are opted out of."""
        posted = await self._guard.posted(request, SUBSCRIPTIONS_PAGE, MAX_FIELDS + MAX_CHOICES)
        if isinstance(posted, Response):
            return posted
        form, claims, lang = posted.form, posted.claims, posted.lang
        account_id = await self._binding.account_id(claims.account)
        choices = None
        if account_id is not None:
            choices = await self._subscriptions.choices(account_id, claims.openid)
        if account_id is None or choices is None:
            return pages.notice("not_bound_sub", 409, lang)
        chosen = chosen_types(form, [c.event_type for c in choices])
        if chosen is None:
            return pages.notice("unreadable", 400, lang)
        saved = await self._subscriptions.save(claims, account_id, chosen, client_ip(request))
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
