"""Field getters: each reads one value out of parsed callback fields, or raises MalformedXml.

A message class lists its fields as ``(attribute, getter)`` pairs (its ``_SPEC``); the getters are
built once, at class definition, so parsing a callback only calls them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from libs.common.wechat.errors import MalformedXml

Getter = Callable[[Mapping[str, Any]], Any]

_UNSAFE = re.compile(r"[^a-z0-9_]")


def _lookup(fields: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def text(path: str) -> Getter:
    """The text at ``path`` (``A/B`` for nested elements), ``""`` when absent."""
    parts = tuple(path.split("/"))

    def get(fields: Mapping[str, Any]) -> str:
        value = _lookup(fields, parts)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise MalformedXml(f"{path} must be text")
        return value

    return get


def optional_text(path: str) -> Getter:
    """The text at ``path``, None when absent or empty."""
    get_text = text(path)

    def get(fields: Mapping[str, Any]) -> str | None:
        return get_text(fields) or None

    return get


def required_text(path: str) -> Getter:
    """The text at ``path``, which must not be empty."""
    get_text = text(path)

    def get(fields: Mapping[str, Any]) -> str:
        value: str = get_text(fields)
        if not value:
            raise MalformedXml(f"{path} is required")
        return value

    return get


def number(path: str, kind: type[int] | type[float], *, required: bool = False) -> Getter:
    """The number at ``path`` as ``kind``; None when absent unless ``required``."""
    get_text = text(path)

    def get(fields: Mapping[str, Any]) -> int | float | None:
        value = get_text(fields).strip()
        if not value:
            if required:
                raise MalformedXml(f"{path} is required")
            return None
        try:
            return kind(value)
        except ValueError as exc:
            raise MalformedXml(f"{path} is not a number: {value!r}") from exc

    return get


def lower_text(path: str) -> Getter:
    """The text at ``path``, lower-cased."""
    get_text = text(path)

    def get(fields: Mapping[str, Any]) -> str:
        value: str = get_text(fields)
        return value.lower()

    return get


def msg_id(fields: Mapping[str, Any]) -> str | None:
    """``MsgId``, or ``MsgID`` as job-finish events spell it."""
    value = fields.get("MsgId") or fields.get("MsgID")
    if value is None or isinstance(value, str):
        return value or None
    raise MalformedXml("MsgId must be text")


def pic_md5s(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The MD5 sums of the pictures a menu picture event announces."""
    items = _lookup(fields, ("SendPicsInfo", "PicList", "item"))
    if not isinstance(items, list):
        return ()
    return tuple(
        item["PicMd5Sum"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("PicMd5Sum"), str)
    )


def qr_scene(fields: Mapping[str, Any]) -> str | None:
    """The scene of a parametric QR code follow (``EventKey`` without ``qrscene_``)."""
    key = text("EventKey")(fields)
    if key.startswith("qrscene_"):
        return key[len("qrscene_") :] or None
    return None


def routing_part(value: str) -> str:
    """``value`` made safe for a routing key (lower-case letters, digits, ``_``)."""
    return _UNSAFE.sub("_", value.lower()) or "unknown"
