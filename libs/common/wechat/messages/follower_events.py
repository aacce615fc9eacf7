"""Events about a follower: follow, unfollow, a parametric QR code scanned, a location report."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.wechat.messages.base import EVENT_FIELDS, Event, event_key
from libs.common.wechat.messages.fields import number, optional_text, qr_scene, text
from libs.common.wechat.messages.registry import register_event


@register_event("subscribe")
@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeEvent(Event):
    """A follow; via a parametric QR code ``scene`` is the scene without ``qrscene_``."""

    _SPEC = (*EVENT_FIELDS, ("scene", qr_scene), ("ticket", optional_text("Ticket")))
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

    _SPEC = (*EVENT_FIELDS, ("scene", text("EventKey")), ("ticket", optional_text("Ticket")))
    scene: str
    ticket: str | None


@register_event("LOCATION")
@dataclass(frozen=True, slots=True, kw_only=True)
class LocationEvent(Event):
    """An automatic location report."""

    _SPEC = (
        *EVENT_FIELDS,
        ("latitude", number("Latitude", float, required=True)),
        ("longitude", number("Longitude", float, required=True)),
        ("precision", number("Precision", float)),
    )
    latitude: float
    longitude: float
    precision: float | None

    @property
    def dedup_key(self) -> str:
        """Event key plus the coordinates, since several reports can share one second."""
        return f"{event_key(self)}:{self.raw.get('Latitude', '')}:{self.raw.get('Longitude', '')}"
