"""The channel seam: one ``send()`` per channel, returning a :class:`SendResult`, never raising.

A channel turns one :class:`Outgoing` message into one delivery attempt on its network and
classifies what happened into an :class:`Outcome` the delivery state machine acts on. Channels
never retry by themselves (the state machine owns retries, deadlines and fallback) and never
raise for delivery failures; an exception out of ``send()`` is a bug.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar


class Outcome(Enum):
    """What a send attempt achieved, and so what may happen next."""

    SENT = "sent"  # the network accepted the message
    RETRY = "retry"  # not sent, and sending the same request again is safe (after backoff)
    THROTTLED = "throttled"  # rate limited (45011/45066): wait longer, then retry
    QUOTA = "quota"  # the API's daily quota is used up (45009): stop using it, next channel
    NEXT_CHANNEL = "next_channel"  # this channel cannot reach the user now (window closed…)
    RECIPIENT = "recipient"  # the user is unreachable on this whole network (unfollowed…)
    UNKNOWN = "unknown"  # may or may not have been sent; not safe to repeat blindly
    ERROR = "error"  # configuration or payload problem: give up on this channel


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Everything any channel may need to deliver one message to one person."""

    message_id: str
    account: str
    openid: str | None = None
    phone: str | None = None
    text: str = ""
    sms_text: str = ""
    template_id: str = ""
    template_data: dict[str, Any] = field(default_factory=dict)
    template_url: str = ""
    custom_message: dict[str, Any] | None = None
    # Recipients of a mass send (the mass channel only).
    openids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SendResult:
    """The classified result of one send attempt."""

    outcome: Outcome
    channel: str
    detail: str = ""
    errcode: int | None = None
    provider_id: str | None = None

    @property
    def sent(self) -> bool:
        """Whether the message went out."""
        return self.outcome is Outcome.SENT


class Channel(ABC):
    """A delivery channel plugin; register instances in a :class:`ChannelRegistry`.

    ``network`` groups channels that reach the user the same way: a message delivered on one
    network is never also sent on another (no SMS after a WeChat delivery). ``idempotent``
    says whether repeating a send can duplicate the message (it must not, if True); the
    dispatcher records a non-idempotent channel before sending on it, so a resumed delivery
    never repeats it. ``windowed`` channels send only inside the user's customer-service window
    (docs/wechat-protocol.md §8.2): one send of the window is taken before each use.
    """

    name: ClassVar[str]
    network: ClassVar[str]
    idempotent: ClassVar[bool] = False
    windowed: ClassVar[bool] = False

    def can_send(self, message: Outgoing) -> bool:
        """Whether ``message`` carries what this channel needs (recipient, content)."""
        return True

    @abstractmethod
    async def send(self, message: Outgoing) -> SendResult:
        """Attempt one delivery and classify the result; never raises for delivery failures."""

    async def aclose(self) -> None:
        """Release connections held by the channel."""
        return None
