"""Typed inbound messages and events, built from parsed callback fields through a registry.

``parse_message(fields)`` picks the class registered for ``MsgType`` (or, for
``MsgType=event``, for the lower-cased ``Event``); anything unregistered becomes
:class:`UnknownMessage` / :class:`UnknownEvent`. Every message keeps the ``raw`` fields dict so it
can travel on the bus as JSON and be rebuilt with ``parse_message(raw)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from libs.common.wechat.errors import MalformedXml
from libs.common.wechat.xml import parse_xml

_Getter = Callable[[Mapping[str, Any]], Any]
_M = TypeVar("_M", bound="InboundMessage")
_E = TypeVar("_E", bound="Event")

_MESSAGES: dict[str, type[InboundMessage]] = {}
_EVENTS: dict[str, type[Event]] = {}
_UNSAFE = re.compile(r"[^a-z0-9_]")


def _lookup(fields: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _text(path: str) -> _Getter:
    parts = tuple(path.split("/"))

    def get(fields: Mapping[str, Any]) -> str:
        value = _lookup(fields, parts)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise MalformedXml(f"{path} must be text")
        return value

    return get


def _optional_text(path: str) -> _Getter:
    get_text = _text(path)

    def get(fields: Mapping[str, Any]) -> str | None:
        return get_text(fields) or None

    return get


def _required_text(path: str) -> _Getter:
    get_text = _text(path)

    def get(fields: Mapping[str, Any]) -> str:
        value: str = get_text(fields)
        if not value:
            raise MalformedXml(f"{path} is required")
        return value

    return get


def _number(path: str, kind: type[int] | type[float], *, required: bool = False) -> _Getter:
    get_text = _text(path)

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


def _lower_text(path: str) -> _Getter:
    get_text = _text(path)

    def get(fields: Mapping[str, Any]) -> str:
        value: str = get_text(fields)
        return value.lower()

    return get


def _msg_id(fields: Mapping[str, Any]) -> str | None:
    value = fields.get("MsgId") or fields.get("MsgID")
    if value is None or isinstance(value, str):
        return value or None
    raise MalformedXml("MsgId must be text")


def _pic_md5s(fields: Mapping[str, Any]) -> tuple[str, ...]:
    items = _lookup(fields, ("SendPicsInfo", "PicList", "item"))
    if not isinstance(items, list):
        return ()
    return tuple(
        item["PicMd5Sum"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("PicMd5Sum"), str)
    )


def _qr_scene(fields: Mapping[str, Any]) -> str | None:
    key = _text("EventKey")(fields)
    if key.startswith("qrscene_"):
        return key[len("qrscene_") :] or None
    return None


def _routing_part(value: str) -> str:
    return _UNSAFE.sub("_", value.lower()) or "unknown"


def register_message(msg_type: str) -> Callable[[type[_M]], type[_M]]:
    """Class decorator: parse ``MsgType=msg_type`` callbacks into the decorated class."""

    def decorate(cls: type[_M]) -> type[_M]:
        cls.KIND = msg_type
        _MESSAGES[msg_type] = cls
        return cls

    return decorate


def register_event(event: str) -> Callable[[type[_E]], type[_E]]:
    """Class decorator: parse ``Event=event`` (case-insensitive) callbacks into the class."""

    def decorate(cls: type[_E]) -> type[_E]:
        cls.KIND = f"event.{event.lower()}"
        _EVENTS[event.lower()] = cls
        return cls

    return decorate


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """Fields common to every callback; ``raw`` holds all fields as parsed."""

    _SPEC: ClassVar[tuple[tuple[str, _Getter], ...]] = (
        ("to_user", _required_text("ToUserName")),
        ("from_user", _required_text("FromUserName")),
        ("create_time", _number("CreateTime", int, required=True)),
        ("msg_type", _required_text("MsgType")),
        ("msg_id", _msg_id),
    )
    KIND: ClassVar[str] = "unknown"

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    msg_id: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_fields(cls: type[_M], fields: dict[str, Any]) -> _M:
        """Build this class from parsed callback fields (raises MalformedXml)."""
        return cls(raw=fields, **{name: get(fields) for name, get in cls._SPEC})

    @property
    def kind(self) -> str:
        """Routing-key part: ``text``, ``image``, … or ``event.<name>``."""
        return self.KIND

    @property
    def is_event(self) -> bool:
        """Whether this is an event push rather than a user-sent message."""
        return False

    @property
    def dedup_key(self) -> str:
        """Key identifying redeliveries of this callback (§7.4)."""
        if self.msg_id is None:
            return f"msg:{self.from_user}:{self.create_time}:{self.msg_type}"
        return f"msg:{self.msg_id}:{self.from_user}:{self.create_time}"


_BASE = InboundMessage._SPEC


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownMessage(InboundMessage):
    """A message whose MsgType has no registered class."""

    @property
    def kind(self) -> str:
        """Routing-key part derived from the unknown MsgType."""
        return _routing_part(self.msg_type)


@register_message("text")
@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(InboundMessage):
    """A text message."""

    _SPEC = (*_BASE, ("content", _text("Content")))
    content: str


@register_message("image")
@dataclass(frozen=True, slots=True, kw_only=True)
class ImageMessage(InboundMessage):
    """An image message."""

    _SPEC = (*_BASE, ("pic_url", _text("PicUrl")), ("media_id", _text("MediaId")))
    pic_url: str
    media_id: str


@register_message("voice")
@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceMessage(InboundMessage):
    """A voice message; ``recognition`` is WeChat's (often empty) speech-to-text."""

    _SPEC = (
        *_BASE,
        ("media_id", _text("MediaId")),
        ("format", _text("Format")),
        ("recognition", _optional_text("Recognition")),
    )
    media_id: str
    format: str
    recognition: str | None


@register_message("video")
@dataclass(frozen=True, slots=True, kw_only=True)
class VideoMessage(InboundMessage):
    """A video message."""

    _SPEC = (*_BASE, ("media_id", _text("MediaId")), ("thumb_media_id", _text("ThumbMediaId")))
    media_id: str
    thumb_media_id: str


@register_message("shortvideo")
@dataclass(frozen=True, slots=True, kw_only=True)
class ShortVideoMessage(InboundMessage):
    """A short-video message."""

    _SPEC = VideoMessage._SPEC
    media_id: str
    thumb_media_id: str


@register_message("location")
@dataclass(frozen=True, slots=True, kw_only=True)
class LocationMessage(InboundMessage):
    """A location pin sent by the user (Location_X is the latitude)."""

    _SPEC = (
        *_BASE,
        ("latitude", _number("Location_X", float, required=True)),
        ("longitude", _number("Location_Y", float, required=True)),
        ("scale", _number("Scale", int)),
        ("label", _text("Label")),
    )
    latitude: float
    longitude: float
    scale: int | None
    label: str


@register_message("link")
@dataclass(frozen=True, slots=True, kw_only=True)
class LinkMessage(InboundMessage):
    """A link message."""

    _SPEC = (
        *_BASE,
        ("title", _text("Title")),
        ("description", _text("Description")),
        ("url", _text("Url")),
    )
    title: str
    description: str
    url: str


@register_message("miniprogrampage")
@dataclass(frozen=True, slots=True, kw_only=True)
class MiniProgramPageMessage(InboundMessage):
    """A mini-program card sent in a customer-service context."""

    _SPEC = (
        *_BASE,
        ("app_id", _text("AppId")),
        ("title", _text("Title")),
        ("page_path", _text("PagePath")),
        ("thumb_url", _text("ThumbUrl")),
        ("thumb_media_id", _text("ThumbMediaId")),
    )
    app_id: str
    title: str
    page_path: str
    thumb_url: str
    thumb_media_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(InboundMessage):
    """An event push (``MsgType=event``); ``event`` is lower-cased."""

    _SPEC = (*_BASE, ("event", _lower_text("Event")), ("event_key", _text("EventKey")))
    KIND = "event.unknown"
    event: str
    event_key: str

    @property
    def is_event(self) -> bool:
        """Always True for events."""
        return True

    @property
    def dedup_key(self) -> str:
        """``evt:{FromUserName}:{CreateTime}:{Event}:{EventKey}`` (§7.4)."""
        return _event_key(self)


def _event_key(event: Event) -> str:
    return f"evt:{event.from_user}:{event.create_time}:{event.event}:{event.event_key}"


_EVT = Event._SPEC


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """An event with no registered class."""

    @property
    def kind(self) -> str:
        """Routing-key part derived from the unknown event name."""
        return f"event.{_routing_part(self.event)}"


@register_event("subscribe")
@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeEvent(Event):
    """A follow; via a parametric QR code ``scene`` is the scene without ``qrscene_``."""

    _SPEC = (*_EVT, ("scene", _qr_scene), ("ticket", _optional_text("Ticket")))
    scene: str | None
    ticket: str | None

    @property
    def is_qr(self) -> bool:
        """Whether the follow came from scanning a parametric QR code."""
        return self.scene is not None


@register_event("unsubscribe")
@dataclass(frozen=True, slots=True, kw_only=True)
class UnsubscribeEvent(Event):
    """An unfollow."""


@register_event("SCAN")
@dataclass(frozen=True, slots=True, kw_only=True)
class ScanEvent(Event):
    """An existing follower scanned a parametric QR code."""

    _SPEC = (*_EVT, ("scene", _text("EventKey")), ("ticket", _optional_text("Ticket")))
    scene: str
    ticket: str | None


@register_event("LOCATION")
@dataclass(frozen=True, slots=True, kw_only=True)
class LocationEvent(Event):
    """An automatic location report."""

    _SPEC = (
        *_EVT,
        ("latitude", _number("Latitude", float, required=True)),
        ("longitude", _number("Longitude", float, required=True)),
        ("precision", _number("Precision", float)),
    )
    latitude: float
    longitude: float
    precision: float | None

    @property
    def dedup_key(self) -> str:
        """Event key plus the coordinates, since several reports can share one second."""
        return f"{_event_key(self)}:{self.raw.get('Latitude', '')}:{self.raw.get('Longitude', '')}"


@register_event("CLICK")
@dataclass(frozen=True, slots=True, kw_only=True)
class ClickEvent(Event):
    """A click on a menu button; ``key`` is the button key."""

    _SPEC = (*_EVT, ("key", _text("EventKey")))
    key: str


@register_event("VIEW")
@dataclass(frozen=True, slots=True, kw_only=True)
class ViewEvent(Event):
    """A menu link was opened."""

    _SPEC = (*_EVT, ("url", _text("EventKey")), ("menu_id", _optional_text("MenuId")))
    url: str
    menu_id: str | None


@register_event("view_miniprogram")
@dataclass(frozen=True, slots=True, kw_only=True)
class ViewMiniProgramEvent(Event):
    """A menu jump to a mini program."""

    _SPEC = (*_EVT, ("page_path", _text("EventKey")), ("menu_id", _optional_text("MenuId")))
    page_path: str
    menu_id: str | None


_SCAN_CODE = (
    *_EVT,
    ("key", _text("EventKey")),
    ("scan_type", _text("ScanCodeInfo/ScanType")),
    ("scan_result", _text("ScanCodeInfo/ScanResult")),
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
    *_EVT,
    ("key", _text("EventKey")),
    ("count", _number("SendPicsInfo/Count", int)),
    ("md5s", _pic_md5s),
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
        *_EVT,
        ("key", _text("EventKey")),
        ("latitude", _number("SendLocationInfo/Location_X", float)),
        ("longitude", _number("SendLocationInfo/Location_Y", float)),
        ("scale", _number("SendLocationInfo/Scale", int)),
        ("label", _text("SendLocationInfo/Label")),
        ("poiname", _text("SendLocationInfo/Poiname")),
    )
    key: str
    latitude: float | None
    longitude: float | None
    scale: int | None
    label: str
    poiname: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFinishEvent(Event):
    """A send job finished; ``msg_id`` is the element ``MsgID`` (capital D)."""

    _SPEC = (*_EVT, ("status", _text("Status")))
    status: str

    @property
    def dedup_key(self) -> str:
        """``job:{MsgID}``: one user can get several jobs in the same second."""
        if self.msg_id is None:
            return _event_key(self)
        return f"job:{self.msg_id}"


@register_event("TEMPLATESENDJOBFINISH")
@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateSendJobFinishEvent(JobFinishEvent):
    """A template message was delivered or refused (``status``)."""


@register_event("MASSSENDJOBFINISH")
@dataclass(frozen=True, slots=True, kw_only=True)
class MassSendJobFinishEvent(JobFinishEvent):
    """A mass send finished, with its counts."""

    _SPEC = (
        *_EVT,
        ("status", _text("Status")),
        ("total_count", _number("TotalCount", int)),
        ("filter_count", _number("FilterCount", int)),
        ("sent_count", _number("SentCount", int)),
        ("error_count", _number("ErrorCount", int)),
    )
    total_count: int | None
    filter_count: int | None
    sent_count: int | None
    error_count: int | None


@register_event("kf_create_session")
@dataclass(frozen=True, slots=True, kw_only=True)
class KfCreateSessionEvent(Event):
    """A human agent accepted a session."""

    _SPEC = (*_EVT, ("kf_account", _text("KfAccount")))
    kf_account: str


@register_event("kf_close_session")
@dataclass(frozen=True, slots=True, kw_only=True)
class KfCloseSessionEvent(KfCreateSessionEvent):
    """A human agent closed a session."""


@register_event("kf_switch_session")
@dataclass(frozen=True, slots=True, kw_only=True)
class KfSwitchSessionEvent(Event):
    """A session moved from one agent to another."""

    _SPEC = (
        *_EVT,
        ("from_kf_account", _text("FromKfAccount")),
        ("to_kf_account", _text("ToKfAccount")),
    )
    from_kf_account: str
    to_kf_account: str


def parse_message(fields: dict[str, Any]) -> InboundMessage:
    """Build the typed message for parsed callback fields (raises MalformedXml)."""
    msg_type = fields.get("MsgType")
    cls: type[InboundMessage] = UnknownMessage
    if msg_type == "event":
        event = fields.get("Event")
        cls = _EVENTS.get(event.lower(), UnknownEvent) if isinstance(event, str) else UnknownEvent
    elif isinstance(msg_type, str):
        cls = _MESSAGES.get(msg_type, UnknownMessage)
    return cls.from_fields(fields)


def message_from_xml(body: bytes) -> InboundMessage:
    """Parse callback XML straight into a typed message."""
    return parse_message(parse_xml(body))
