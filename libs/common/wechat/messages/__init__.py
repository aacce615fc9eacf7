"""Typed inbound messages and events, built from parsed callback fields through a registry.

``parse_message(fields)`` picks the class registered for ``MsgType`` (or, for
``MsgType=event``, for the lower-cased ``Event``); anything unregistered becomes
:class:`UnknownMessage` / :class:`UnknownEvent`. Every message keeps the ``raw`` fields dict so it
can travel on the bus as JSON and be rebuilt with ``parse_message(raw)``.

::

    fields.py           getters reading one field each (a class's ``_SPEC``)
    registry.py         MsgType / Event -> class, and the decorators that fill it
    base.py             InboundMessage, Event, and the Unknown* fallbacks
    user_messages.py    text, image, voice, video, location, link, mini-program card
    follower_events.py  subscribe, unsubscribe, SCAN, LOCATION
    menu_events.py      CLICK, VIEW, scan-code, picture and location-picker buttons
    job_events.py       template and mass send reports
    kf_events.py        customer-service sessions
    parsing.py          parse_message, message_from_xml
"""

from __future__ import annotations

from libs.common.wechat.messages.base import Event, InboundMessage, UnknownEvent, UnknownMessage
from libs.common.wechat.messages.registry import register_event, register_message

# isort: off
# Importing these registers their classes, in this order (the registry's order).
from libs.common.wechat.messages.user_messages import (
    ImageMessage,
    LinkMessage,
    LocationMessage,
    MiniProgramPageMessage,
    ShortVideoMessage,
    TextMessage,
    VideoMessage,
    VoiceMessage,
)
from libs.common.wechat.messages.follower_events import (
    LocationEvent,
    ScanEvent,
    SubscribeEvent,
    UnsubscribeEvent,
)
from libs.common.wechat.messages.menu_events import (
    ClickEvent,
    LocationSelectEvent,
    PicPhotoOrAlbumEvent,
    PicSysPhotoEvent,
    PicWeixinEvent,
    ScanCodePushEvent,
    ScanCodeWaitMsgEvent,
    ViewEvent,
    ViewMiniProgramEvent,
)
from libs.common.wechat.messages.job_events import (
    JobFinishEvent,
    MassSendJobFinishEvent,
    TemplateSendJobFinishEvent,
)
from libs.common.wechat.messages.kf_events import (
    KfCloseSessionEvent,
    KfCreateSessionEvent,
    KfSwitchSessionEvent,
)
# isort: on

from libs.common.wechat.messages.parsing import message_from_xml, parse_message

__all__ = [
    "ClickEvent",
    "Event",
    "ImageMessage",
    "InboundMessage",
    "JobFinishEvent",
    "KfCloseSessionEvent",
    "KfCreateSessionEvent",
    "KfSwitchSessionEvent",
    "LinkMessage",
    "LocationEvent",
    "LocationMessage",
    "LocationSelectEvent",
    "MassSendJobFinishEvent",
    "MiniProgramPageMessage",
    "PicPhotoOrAlbumEvent",
    "PicSysPhotoEvent",
    "PicWeixinEvent",
    "ScanCodePushEvent",
    "ScanCodeWaitMsgEvent",
    "ScanEvent",
    "ShortVideoMessage",
    "SubscribeEvent",
    "TemplateSendJobFinishEvent",
    "TextMessage",
    "UnknownEvent",
    "UnknownMessage",
    "UnsubscribeEvent",
    "VideoMessage",
    "ViewEvent",
    "ViewMiniProgramEvent",
    "VoiceMessage",
    "message_from_xml",
    "parse_message",
    "register_event",
    "register_message",
]
