"""Customer-service (kf) session events: a human agent took, closed or handed over a session."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.wechat.messages.base import EVENT_FIELDS, Event
from libs.common.wechat.messages.fields import text
from libs.common.wechat.messages.registry import register_event


@register_event("kf_create_session")
@dataclass(frozen=True, slots=True, kw_only=True)
class KfCreateSessionEvent(Event):
    """A human agent accepted a session."""

    _SPEC = (*EVENT_FIELDS, ("kf_account", text("KfAccount")))
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
        *EVENT_FIELDS,
        ("from_kf_account", text("FromKfAccount")),
        ("to_kf_account", text("ToKfAccount")),
    )
    from_kf_account: str
    to_kf_account: str
