"""Send-job reports: a template message or a mass send finished."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.wechat.messages.base import EVENT_FIELDS, Event, event_key
from libs.common.wechat.messages.fields import number, text
from libs.common.wechat.messages.registry import register_event


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFinishEvent(Event):
    """A send job finished; ``msg_id`` is the element ``MsgID`` (capital D)."""

    _SPEC = (*EVENT_FIELDS, ("status", text("Status")))
    status: str

    @property
    def dedup_key(self) -> str:
        """``job:{MsgID}``: one user can get several jobs in the same second."""
        if self.msg_id is None:
            return event_key(self)
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
        *EVENT_FIELDS,
        ("status", text("Status")),
        ("total_count", number("TotalCount", int)),
        ("filter_count", number("FilterCount", int)),
        ("sent_count", number("SentCount", int)),
        ("error_count", number("ErrorCount", int)),
    )
    total_count: int | None
    filter_count: int | None
    sent_count: int | None
    error_count: int | None
