"""WeChat custom-menu rules (docs/wechat-protocol.md §8.5), checked before reaching WeChat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from services.admin_api.errors import FieldError, FieldErrors

CLICK_LIKE = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
MENU_TYPES = CLICK_LIKE | {
    "view",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
    "miniprogram",
}
MAX_TOP = 3
MAX_SUB = 5
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
PLATFORMS = frozenset({"1", "2", "3"})


def _bytes(value: object) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def _check_action(button: Mapping[str, Any], where: str, errors: list[FieldError]) -> None:
    kind = button.get("type")
    if kind not in MENU_TYPES:
        errors.append(FieldError(f"{where}.type", f"unknown button type {kind!r}", "menu_type"))
        return
    if kind in CLICK_LIKE and not 1 <= _bytes(button.get("key")) <= KEY_BYTES:
        errors.append(FieldError(f"{where}.key", f"key must be 1-{KEY_BYTES} bytes", "limit"))
    if kind in {"view", "miniprogram"}:
        url = button.get("url")
        if not 1 <= _bytes(url) <= URL_BYTES:
            errors.append(FieldError(f"{where}.url", f"url must be 1-{URL_BYTES} bytes", "limit"))
        elif urlsplit(str(url)).scheme not in {"http", "https"}:
            errors.append(FieldError(f"{where}.url", "url must be http(s)", "url"))
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        errors.append(FieldError(where, "miniprogram needs appid and pagepath", "missing"))
    if kind in {"media_id", "view_limited"} and not button.get("media_id"):
        errors.append(FieldError(f"{where}.media_id", "permanent media_id required", "missing"))
    if kind in {"article_id", "article_view_limited"} and not button.get("article_id"):
        errors.append(FieldError(f"{where}.article_id", "article_id required", "missing"))


def validate_buttons(buttons: Sequence[Mapping[str, Any]], field: str = "body.buttons") -> None:
    """Raise :class:`FieldErrors` listing every rule ``buttons`` breaks."""
    errors: list[FieldError] = []
    if not 1 <= len(buttons) <= MAX_TOP:
        errors.append(FieldError(field, f"1-{MAX_TOP} top-level buttons", "limit"))
    for i, button in enumerate(buttons):
        where = f"{field}[{i}]"
        if not 1 <= _bytes(button.get("name")) <= TOP_NAME_BYTES:
            errors.append(
                FieldError(
                    f"{where}.name",
                    f"name must be 1-{TOP_NAME_BYTES} bytes (a Chinese character is 3)",
                    "limit",
                )
            )
        subs = button.get("sub_button")
        if not subs:
            _check_action(button, where, errors)
            continue
        if len(subs) > MAX_SUB:
            errors.append(
                FieldError(f"{where}.sub_button", f"at most {MAX_SUB} sub-buttons", "limit")
            )
        for j, sub in enumerate(subs):
            sub_where = f"{where}.sub_button[{j}]"
            if sub.get("sub_button"):
                errors.append(FieldError(sub_where, "menus have two levels at most", "limit"))
            if not 1 <= _bytes(sub.get("name")) <= SUB_NAME_BYTES:
                errors.append(
                    FieldError(
                        f"{sub_where}.name", f"name must be 1-{SUB_NAME_BYTES} bytes", "limit"
                    )
                )
            _check_action(sub, sub_where, errors)
    if errors:
        raise FieldErrors("menu breaks WeChat's limits", errors)


def validate_matchrule(rule: Mapping[str, Any] | None, field: str = "body.matchrule") -> None:
    """Conditional menus match only by ``tag_id`` and ``client_platform_type`` (others: 65320)."""
    errors: list[FieldError] = []
    if not rule:
        errors.append(
            FieldError(field, "a conditional menu needs tag_id or client_platform_type", "missing")
        )
    else:
        extra = sorted(set(rule) - {"tag_id", "client_platform_type"})
        if extra:
            errors.append(FieldError(field, f"unsupported rule fields: {', '.join(extra)}", "rule"))
        platform = rule.get("client_platform_type")
        if platform is not None and str(platform) not in PLATFORMS:
            errors.append(
                FieldError(f"{field}.client_platform_type", "1 iOS, 2 Android, 3 other", "rule")
            )
    if errors:
        raise FieldErrors("invalid conditional menu rule", errors)


def clean_buttons(buttons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Drop empty fields so WeChat receives exactly what applies to each button type."""
    result = []
    for button in buttons:
        item = {k: v for k, v in button.items() if v not in (None, "", []) and k != "sub_button"}
        subs = button.get("sub_button")
        if subs:
            item = {"name": button["name"], "sub_button": clean_buttons(subs)}
        result.append(item)
    return result
