"""The registry: which class a ``MsgType`` (or, for events, an ``Event``) is parsed into."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from libs.common.wechat.messages.base import Event, InboundMessage

_M = TypeVar("_M", bound="InboundMessage")
_E = TypeVar("_E", bound="Event")

# MsgType -> class; lower-cased Event -> class. Filled as the message modules are imported.
MESSAGES: dict[str, type[InboundMessage]] = {}
EVENTS: dict[str, type[Event]] = {}


def register_message(msg_type: str) -> Callable[[type[_M]], type[_M]]:
    """Class decorator: parse ``MsgType=msg_type`` callbacks into the decorated class."""

    def decorate(cls: type[_M]) -> type[_M]:
        cls.KIND = msg_type
        MESSAGES[msg_type] = cls
        return cls

    return decorate


def register_event(event: str) -> Callable[[type[_E]], type[_E]]:
    """Class decorator: parse ``Event=event`` (case-insensitive) callbacks into the class."""

    def decorate(cls: type[_E]) -> type[_E]:
        cls.KIND = f"event.{event.lower()}"
        EVENTS[event.lower()] = cls
        return cls

    return decorate
