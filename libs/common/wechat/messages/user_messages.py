"""What users send: text, media, locations, links and mini-program cards."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.wechat.messages.base import MESSAGE_FIELDS, InboundMessage
from libs.common.wechat.messages.fields import number, optional_text, text
from libs.common.wechat.messages.registry import register_message


@register_message("text")
@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(InboundMessage):
    """A text message."""

    _SPEC = (*MESSAGE_FIELDS, ("content", text("Content")))
    content: str


@register_message("image")
@dataclass(frozen=True, slots=True, kw_only=True)
class ImageMessage(InboundMessage):
    """An image message."""

    _SPEC = (*MESSAGE_FIELDS, ("pic_url", text("PicUrl")), ("media_id", text("MediaId")))
    pic_url: str
    media_id: str


@register_message("voice")
@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceMessage(InboundMessage):
    """A voice message; ``recognition`` is WeChat's (often empty) speech-to-text."""

    _SPEC = (
        *MESSAGE_FIELDS,
        ("media_id", text("MediaId")),
        ("format", text("Format")),
        ("recognition", optional_text("Recognition")),
    )
    media_id: str
    format: str
    recognition: str | None


@register_message("video")
@dataclass(frozen=True, slots=True, kw_only=True)
class VideoMessage(InboundMessage):
    """A video message."""

    _SPEC = (
        *MESSAGE_FIELDS,
        ("media_id", text("MediaId")),
        ("thumb_media_id", text("ThumbMediaId")),
    )
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
        *MESSAGE_FIELDS,
        ("latitude", number("Location_X", float, required=True)),
        ("longitude", number("Location_Y", float, required=True)),
        ("scale", number("Scale", int)),
        ("label", text("Label")),
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
        *MESSAGE_FIELDS,
        ("title", text("Title")),
        ("description", text("Description")),
        ("url", text("Url")),
    )
    title: str
    description: str
    url: str


@register_message("miniprogrampage")
@dataclass(frozen=True, slots=True, kw_only=True)
class MiniProgramPageMessage(InboundMessage):
    """A mini-program card sent in a customer-service context."""

    _SPEC = (
        *MESSAGE_FIELDS,
        ("app_id", text("AppId")),
        ("title", text("Title")),
        ("page_path", text("PagePath")),
        ("thumb_url", text("ThumbUrl")),
        ("thumb_media_id", text("ThumbMediaId")),
    )
    app_id: str
    title: str
    page_path: str
    thumb_url: str
    thumb_media_id: str
