"""From parsed callback fields (or the callback XML) to the registered message class."""

from __future__ import annotations

from typing import Any

from libs.common.wechat.messages.base import InboundMessage, UnknownEvent, UnknownMessage
from libs.common.wechat.messages.registry import EVENTS, MESSAGES
from libs.common.wechat.xml import parse_xml


def parse_message(fields: dict[str, Any]) -> InboundMessage:
    """Build the typed message for parsed callback fields (raises MalformedXml)."""
    msg_type = fields.get("MsgType")
    cls: type[InboundMessage] = UnknownMessage
    if msg_type == "event":
        event = fields.get("Event")
        cls = EVENTS.get(event.lower(), UnknownEvent) if isinstance(event, str) else UnknownEvent
    elif isinstance(msg_type, str):
        cls = MESSAGES.get(msg_type, UnknownMessage)
    return cls.from_fields(fields)


def message_from_xml(body: bytes) -> InboundMessage:
    """Parse callback XML straight into a typed message."""
    return parse_message(parse_xml(body))
