"""The classes every message and event derives from, and the fallbacks for unregistered ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from libs.common.wechat.messages.fields import (
    Getter,
    lower_text,
    msg_id,
    number,
    required_text,
    routing_part,
    text,
)

_M = TypeVar("_M", bound="InboundMessage")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """Fields common to every callback; ``raw`` holds all fields as parsed."""

    _SPEC: ClassVar[tuple[tuple[str, Getter], ...]] = (
        ("to_user", required_text("ToUserName")),
        ("from_user", required_text("FromUserName")),
        ("create_time", number("CreateTime", int, required=True)),
        ("msg_type", required_text("MsgType")),
        ("msg_id", msg_id),
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


# The fields every message has, for the ``_SPEC`` of the classes deriving from it.
MESSAGE_FIELDS = InboundMessage._SPEC


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownMessage(InboundMessage):
    """A message whose MsgType has no registered class."""

    @property
    def kind(self) -> str:
        """Routing-key part derived from the unknown MsgType."""
        return routing_part(self.msg_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(InboundMessage):
    """An event push (``MsgType=event``); ``event`` is lower-cased."""

    _SPEC = (*MESSAGE_FIELDS, ("event", lower_text("Event")), ("event_key", text("EventKey")))
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
        return event_key(self)


def event_key(event: Event) -> str:
    """The dedup key of an event: ``evt:{FromUserName}:{CreateTime}:{Event}:{EventKey}``."""
    return f"evt:{event.from_user}:{event.create_time}:{event.event}:{event.event_key}"


# The fields every event has, for the ``_SPEC`` of the classes deriving from Event.
EVENT_FIELDS = Event._SPEC


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """An event with no registered class."""

    @property
    def kind(self) -> str:
        """Routing-key part derived from the unknown event name."""
        return f"event.{routing_part(self.event)}"
