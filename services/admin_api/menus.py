"""WeChat's custom-menu rules (:mod:`libs.common.wechat.menu_rules`) as the admin API's field
errors, so an operator sees every broken rule of a menu before anything reaches WeChat; and the
menu as WeChat gets it when the account tracks clicks (VIEW buttons as short links)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from libs.common.db.models import Account
from libs.common.short_links import LinkTracker, ShortLinkSigner
from libs.common.wechat.errors import InvalidMenu
from libs.common.wechat.menu_rules import check_buttons, check_matchrule, clean_buttons
from services.admin_api.errors import FieldError, FieldErrors
from services.admin_api.state import AdminState

__all__ = ["clean_buttons", "track_menu_links", "validate_buttons", "validate_matchrule"]


def _field_errors(exc: InvalidMenu, field: str) -> FieldErrors:
    errors = [FieldError(f"{field}{v.path}", v.message, v.kind) for v in exc.violations]
    return FieldErrors(str(exc), errors)


def validate_buttons(buttons: Sequence[Mapping[str, Any]], field: str = "body.buttons") -> None:
    """Raise :class:`FieldErrors` listing every rule ``buttons`` breaks."""
    try:
        check_buttons(list(buttons))
    except InvalidMenu as exc:
        raise _field_errors(exc, field) from None


def validate_matchrule(rule: Mapping[str, Any] | None, field: str = "body.matchrule") -> None:
    """Conditional menus match only by ``tag_id`` and ``client_platform_type`` (others: 65320)."""
    try:
        check_matchrule(dict(rule or {}))
    except InvalidMenu as exc:
        raise _field_errors(exc, field) from None


async def track_menu_links(
    state: AdminState, account: Account, buttons: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``buttons`` as WeChat should get them: with the account's ``track_clicks`` on, every VIEW
    button's url becomes a registered short link (committed here, before WeChat is called; a
    republish reuses the same links). The saved menu keeps the real urls."""
    if not account.track_clicks:
        return buttons
    settings = state.settings
    tracker = LinkTracker(
        ShortLinkSigner(settings.secret_key, settings.previous_secret_keys),
        settings.short_link_base,
    )
    async with state.sessions.begin() as session:
        return await tracker.rewrite_menu(session, buttons, account_id=account.id)
