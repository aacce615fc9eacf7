"""Events from the custom menu: clicks, links, scan, picture and location-picker buttons."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.wechat.messages.base import EVENT_FIELDS, Event
from libs.common.wechat.messages.fields import number, optional_text, pic_md5s, text
from libs.common.wechat.messages.registry import register_event


@register_event("CLICK")
@dataclass(frozen=True, slots=True, kw_only=True)
class ClickEvent(Event):
    """A click on a menu button; ``key`` is the button key."""

    _SPEC = (*EVENT_FIELDS, ("key", text("EventKey")))
    key: str


@register_event("VIEW")
@dataclass(frozen=True, slots=True, kw_only=True)
class ViewEvent(Event):
    """A menu link was opened."""

    _SPEC = (*EVENT_FIELDS, ("url", text("EventKey")), ("menu_id", optional_text("MenuId")))
    url: str
    menu_id: str | None


@register_event("view_miniprogram")
@dataclass(frozen=True, slots=True, kw_only=True)
class ViewMiniProgramEvent(Event):
    """A menu jump to a mini program."""

    _SPEC = (
        *EVENT_FIELDS,
        ("page_path", text("EventKey")),
        ("menu_id", optional_text("MenuId")),
    )
    page_path: str
    menu_id: str | None


_SCAN_CODE = (
    *EVENT_FIELDS,
    ("key", text("EventKey")),
    ("scan_type", text("ScanCodeInfo/ScanType")),
    ("scan_result", text("ScanCodeInfo/ScanResult")),
)


@register_event("scancode_push")
@dataclass(frozen=True, slots=True, kw_only=True)
class ScanCodePushEvent(Event):
    """The menu's scan button was used; the client handles the result itself."""

    _SPEC = _SCAN_CODE
    key: str
    scan_type: str
    scan_result: str


@register_event("scancode_waitmsg")
@dataclass(frozen=True, slots=True, kw_only=True)
class ScanCodeWaitMsgEvent(ScanCodePushEvent):
    """The menu's scan button was used and the client waits for our message."""


_PICS = (
    *EVENT_FIELDS,
    ("key", text("EventKey")),
    ("count", number("SendPicsInfo/Count", int)),
    ("md5s", pic_md5s),
)


@register_event("pic_sysphoto")
@dataclass(frozen=True, slots=True, kw_only=True)
class PicSysPhotoEvent(Event):
    """The menu's camera button was used; the pictures follow as image messages."""

    _SPEC = _PICS
    key: str
    count: int | None
    md5s: tuple[str, ...]


@register_event("pic_photo_or_album")
@dataclass(frozen=True, slots=True, kw_only=True)
class PicPhotoOrAlbumEvent(PicSysPhotoEvent):
    """The menu's camera-or-album button was used."""


@register_event("pic_weixin")
@dataclass(frozen=True, slots=True, kw_only=True)
class PicWeixinEvent(PicSysPhotoEvent):
    """The menu's WeChat-album button was used."""


@register_event("location_select")
@dataclass(frozen=True, slots=True, kw_only=True)
class LocationSelectEvent(Event):
    """The menu's location picker was used."""

    _SPEC = (
        *EVENT_FIELDS,
        ("key", text("EventKey")),
        ("latitude", number("SendLocationInfo/Location_X", float)),
        ("longitude", number("SendLocationInfo/Location_Y", float)),
        ("scale", number("SendLocationInfo/Scale", int)),
        ("label", text("SendLocationInfo/Label")),
        ("poiname", text("SendLocationInfo/Poiname")),
    )
    key: str
    latitude: float | None
    longitude: float | None
    scale: int | None
    label: str
    poiname: str
