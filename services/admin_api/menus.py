"""WeChat's custom-menu rules (:mod:`libs.common.wechat.menu_rules`) as the admin API's field
errors, so an operator sees every broken rule of a menu before anything reaches WeChat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from libs.common.wechat.errors import InvalidMenu
from libs.common.wechat.menu_rules import check_buttons, check_matchrule, clean_buttons
from services.admin_api.errors import FieldError, FieldErrors

__all__ = ["clean_buttons", "validate_buttons", "validate_matchrule"]


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
