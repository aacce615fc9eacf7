"""WeChat's custom-menu rules (docs/wechat-protocol.md §8.5), in one place.

The admin API checks a menu before it reaches WeChat, and the WeChat API sandbox answers a
broken one as the real API does; both read these rules. :func:`check_buttons` and
:func:`check_matchrule` raise :class:`~libs.common.wechat.errors.InvalidMenu` listing every
:class:`MenuViolation` — its place (``[0].sub_button[1].name``), a message for people, a short
``kind`` and the errcode WeChat answers.

::

    ≤ 3 top-level buttons, names ≤ 16 bytes (a Chinese character is 3)
    └── an action, or ≤ 5 sub-buttons (names ≤ 60 bytes, no third level)
    actions: key ≤ 128 bytes (click-like), url ≤ 1024 bytes http(s) (view, miniprogram),
             appid + pagepath (miniprogram), media_id / article_id (media and article kinds)
    conditional menus match by tag_id and client_platform_type only (others: 65320)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import urlsplit

from libs.common.wechat.errors import ErrorCode, InvalidMenu

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
MATCH_FIELDS = frozenset({"tag_id", "client_platform_type"})
# Match rules WeChat no longer supports (privacy): a menu using them is refused with 65320.
PRIVACY_RULES = frozenset({"sex", "country", "province", "city", "language"})
PLATFORMS = frozenset({"1", "2", "3"})


class MenuErrcode(IntEnum):
    """The errcodes of the menu API (docs/wechat-protocol.md §9)."""

    INVALID_MEDIA_ID = ErrorCode.INVALID_MEDIA_ID
    BUTTON_SIZE = 40016
    BUTTON_TYPE = 40017
    BUTTON_NAME_SIZE = 40018
    BUTTON_KEY_SIZE = 40019
    BUTTON_URL_SIZE = 40020
    SUB_BUTTON_LEVEL = 40022
    SUB_BUTTON_SIZE = 40023
    SUB_BUTTON_TYPE = 40024
    SUB_BUTTON_NAME_SIZE = 40025
    SUB_BUTTON_KEY_SIZE = 40026
    SUB_BUTTON_URL_SIZE = 40027
    DATA_FORMAT_ERROR = ErrorCode.DATA_FORMAT_ERROR
    EMPTY_RULE = ErrorCode.MENU_EMPTY_RULE
    PRIVACY_RULE = ErrorCode.MENU_PRIVACY_RULE


@dataclass(frozen=True, slots=True)
class MenuViolation:
    """One broken rule: where, what (for people), its kind and WeChat's errcode."""

    path: str
    message: str
    kind: str
    errcode: int


@dataclass(frozen=True, slots=True)
class _Level:
    """The errcodes and name limit of a menu level (top-level or sub-button)."""

    name_bytes: int
    type_code: MenuErrcode
    name_code: MenuErrcode
    key_code: MenuErrcode
    url_code: MenuErrcode


_TOP = _Level(
    TOP_NAME_BYTES,
    MenuErrcode.BUTTON_TYPE,
    MenuErrcode.BUTTON_NAME_SIZE,
    MenuErrcode.BUTTON_KEY_SIZE,
    MenuErrcode.BUTTON_URL_SIZE,
)
_SUB = _Level(
    SUB_NAME_BYTES,
    MenuErrcode.SUB_BUTTON_TYPE,
    MenuErrcode.SUB_BUTTON_NAME_SIZE,
    MenuErrcode.SUB_BUTTON_KEY_SIZE,
    MenuErrcode.SUB_BUTTON_URL_SIZE,
)


def _bytes(value: object) -> int:
    """UTF-8 length of a string (what WeChat counts); 0 for anything else."""
    return len(value.encode()) if isinstance(value, str) else 0


def button_violations(buttons: object) -> list[MenuViolation]:
    """Every rule ``buttons`` (the ``button`` list of a menu) breaks, in order."""
    found: list[MenuViolation] = []
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_TOP:
        return [
            MenuViolation("", f"1-{MAX_TOP} top-level buttons", "limit", MenuErrcode.BUTTON_SIZE)
        ]
    for i, button in enumerate(buttons):
        where = f"[{i}]"
        if not isinstance(button, dict):
            found.append(
                MenuViolation(where, "a button is an object", "type", MenuErrcode.DATA_FORMAT_ERROR)
            )
            continue
        _check_name(button, where, _TOP, found)
        subs = button.get("sub_button")
        if not subs:
            _check_action(button, where, _TOP, found)
            continue
        if not isinstance(subs, list) or len(subs) > MAX_SUB:
            found.append(
                MenuViolation(
                    f"{where}.sub_button",
                    f"at most {MAX_SUB} sub-buttons",
                    "limit",
                    MenuErrcode.SUB_BUTTON_SIZE,
                )
            )
            continue
        for j, sub in enumerate(subs):
            sub_where = f"{where}.sub_button[{j}]"
            if not isinstance(sub, dict):
                found.append(
                    MenuViolation(
                        sub_where, "a button is an object", "type", MenuErrcode.DATA_FORMAT_ERROR
                    )
                )
                continue
            if sub.get("sub_button"):
                found.append(
                    MenuViolation(
                        sub_where,
                        "menus have two levels at most",
                        "limit",
                        MenuErrcode.SUB_BUTTON_LEVEL,
                    )
                )
            _check_name(sub, sub_where, _SUB, found)
            _check_action(sub, sub_where, _SUB, found)
    return found


def _check_name(
    button: Mapping[str, Any], where: str, level: _Level, found: list[MenuViolation]
) -> None:
    if not 1 <= _bytes(button.get("name")) <= level.name_bytes:
        found.append(
            MenuViolation(
                f"{where}.name",
                f"name must be 1-{level.name_bytes} bytes (a Chinese character is 3)",
                "limit",
                level.name_code,
            )
        )


def _check_action(
    button: Mapping[str, Any], where: str, level: _Level, found: list[MenuViolation]
) -> None:
    kind = button.get("type")
    if kind not in MENU_TYPES:
        found.append(
            MenuViolation(
                f"{where}.type", f"unknown button type {kind!r}", "menu_type", level.type_code
            )
        )
        return
    key, url = button.get("key"), button.get("url")
    if (kind in CLICK_LIKE or key is not None) and not 1 <= _bytes(key) <= KEY_BYTES:
        found.append(
            MenuViolation(
                f"{where}.key", f"key must be 1-{KEY_BYTES} bytes", "limit", level.key_code
            )
        )
    if kind in {"view", "miniprogram"} or url is not None:
        if not 1 <= _bytes(url) <= URL_BYTES:
            found.append(
                MenuViolation(
                    f"{where}.url", f"url must be 1-{URL_BYTES} bytes", "limit", level.url_code
                )
            )
        elif urlsplit(str(url)).scheme not in {"http", "https"}:
            found.append(
                MenuViolation(f"{where}.url", "url must be http(s)", "url", level.url_code)
            )
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        found.append(
            MenuViolation(
                where,
                "miniprogram needs appid and pagepath",
                "missing",
                MenuErrcode.DATA_FORMAT_ERROR,
            )
        )
    if kind in {"media_id", "view_limited"} and not button.get("media_id"):
        found.append(
            MenuViolation(
                f"{where}.media_id",
                "permanent media_id required",
                "missing",
                MenuErrcode.INVALID_MEDIA_ID,
            )
        )
    if kind in {"article_id", "article_view_limited"} and not button.get("article_id"):
        found.append(
            MenuViolation(
                f"{where}.article_id",
                "article_id required",
                "missing",
                MenuErrcode.INVALID_MEDIA_ID,
            )
        )


def matchrule_violations(rule: object) -> list[MenuViolation]:
    """Every rule a conditional menu's ``matchrule`` breaks."""
    given = {k: v for k, v in rule.items() if v not in (None, "")} if isinstance(rule, dict) else {}
    if not given:
        return [
            MenuViolation(
                "",
                "a conditional menu needs tag_id or client_platform_type",
                "missing",
                MenuErrcode.EMPTY_RULE,
            )
        ]
    found: list[MenuViolation] = []
    privacy = sorted(PRIVACY_RULES & set(given))
    if privacy:
        found.append(
            MenuViolation(
                "",
                f"WeChat no longer matches by {', '.join(privacy)}",
                "rule",
                MenuErrcode.PRIVACY_RULE,
            )
        )
    unknown = sorted(set(given) - MATCH_FIELDS - PRIVACY_RULES)
    if unknown:
        found.append(
            MenuViolation(
                "",
                f"unsupported rule fields: {', '.join(unknown)}",
                "rule",
                MenuErrcode.DATA_FORMAT_ERROR,
            )
        )
    platform = given.get("client_platform_type")
    if platform is not None and str(platform) not in PLATFORMS:
        found.append(
            MenuViolation(
                ".client_platform_type",
                "1 iOS, 2 Android, 3 other",
                "rule",
                MenuErrcode.DATA_FORMAT_ERROR,
            )
        )
    return found


def check_buttons(buttons: object) -> None:
    """Raise :class:`InvalidMenu` when ``buttons`` breaks any rule."""
    found = button_violations(buttons)
    if found:
        raise InvalidMenu("menu breaks WeChat's limits", found)


def check_matchrule(rule: object) -> None:
    """Raise :class:`InvalidMenu` when a conditional menu's match rule breaks any rule."""
    found = matchrule_violations(rule)
    if found:
        raise InvalidMenu("invalid conditional menu rule", found)


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
