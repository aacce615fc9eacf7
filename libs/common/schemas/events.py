"""Messages on ``wx.events``: facts that already happened, named in the past tense."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from libs.common.schemas._envelope import Envelope


class HeartbeatSent(Envelope):
    """A service instance is alive (routing key ``heartbeat.<service>``, every 10 s)."""

    service: str
    instance_id: str
    uptime_s: float
    details: dict[str, Any] = Field(default_factory=dict)


class InboundHandled(Envelope):
    """The engine answered a callback (routing key ``inbound.handled``); feeds R-ST-2/R-ST-3.

    ``command`` is the configured command that matched a text (or voice) message, ``scene`` the
    QR scene a follow came through (both ``None`` otherwise): command popularity and follower
    growth by scene are counted from them.
    """

    account: str
    kind: str
    openid: str
    answer: str
    outcome: str
    handle_ms: float
    command: str | None = None
    scene: str | None = None


class DeliveryStatusChanged(Envelope):
    """A notification changed status (routing key ``delivery.<status>``); feeds R-OUT-9 and stats.

    ``accepted_at`` is when the notification was accepted, so consumers can measure
    acceptance-to-delivery latency without reading the database. ``event_type`` is the business
    event (reminder type); a fallback or failure carries ``reason_code`` (the dispatcher's
    ``Reason``, a stable label beside the prose ``reason``) and the last WeChat ``errcode``.
    """

    notification_id: str
    account: str
    status: str
    previous: str | None = None
    channel: str | None = None
    reason: str | None = None
    errcode: int | None = None
    priority: str = "alert"
    accepted_at: datetime | None = None
    event_type: str | None = None
    reason_code: str | None = None


class InboundHandledBatch(Envelope):
    """Many ``InboundHandled`` at once (routing key ``inbound.handled``, about once a second)."""

    items: list[InboundHandled]


class DeliveryStatusChangedBatch(Envelope):
    """Many ``DeliveryStatusChanged`` of one status at once (routing key ``delivery.<status>``,
    a few times a second); the dispatcher publishes these instead of one message per change."""

    items: list[DeliveryStatusChanged]


class CustomerBound(Envelope):
    """A follower proved their identity on the binding page (routing key ``customer.bound``).

    Carries no personal data: which customer number was bound is in the database only.
    """

    account: str
    openid: str


class CustomerUnbound(Envelope):
    """A follower removed their binding on the unbind page (routing key ``customer.unbound``)."""

    account: str
    openid: str


class CustomerBindingLocked(Envelope):
    """Failed identity checks locked binding for a follower (``customer.binding_locked``)."""

    account: str
    openid: str
    failures: int
    window_s: float


class WeChatJobFinished(Envelope):
    """WeChat reported how a send job ended (routing key ``wechat.job_finished``, R-OUT-9).

    ``kind`` is ``template`` (TEMPLATESENDJOBFINISH: ``status`` success, ``failed:user block``
    or ``failed: system failed``) or ``mass`` (MASSSENDJOBFINISH, with its counts). ``msgid``
    is the id WeChat's send API returned, which is how the message is found again.
    """

    account: str
    openid: str
    kind: str
    msgid: str
    status: str
    total_count: int | None = None
    filter_count: int | None = None
    sent_count: int | None = None
    error_count: int | None = None


class PublicationSent(Envelope):
    """A publication's message went out (routing key ``publication.sent``, R-ST-3): one custom
    message (``wechat_custom``, one recipient) or one mass send by OpenID list (``wechat_mass``,
    ``recipients`` many), ``delivered`` when WeChat's API took it, else ``failed``. Statistics
    count a publication's reach from these, for its click-through rate."""

    account: str
    publication_id: int
    notification_id: str
    channel: str
    status: str
    recipients: int


class LinkClicked(Envelope):
    """A follower opened a link (routing key ``click``, R-ST-3).

    ``source`` is ``short_link`` (a tracked link of an outgoing message, redirected by the stats
    service: ``link_id`` and the message it was in, with the notification's ``event_type`` and
    the ``channel`` whose message carried the link) or ``menu`` (a VIEW button of the custom
    menu, reported by WeChat's callback: ``openid`` and ``menu_id``).
    """

    account: str
    url: str
    source: str
    openid: str | None = None
    link_id: int | None = None
    notification_id: str | None = None
    publication_id: int | None = None
    menu_id: str | None = None
    event_type: str | None = None
    channel: str | None = None


class CsEvent(Envelope):
    """Base of the customer-service events (routing key ``cs.<what>``, R-CS-1..4, R-ST-1).

    Every one names the session and carries the session's own timestamps, so statistics measure
    wait time, first-response time and session length without reading the database.
    """

    account: str
    session_id: int
    openid: str
    group: str
    queued_at: datetime


class CsQueued(CsEvent):
    """A follower asked for a person and joined the group's queue (``cs.queued``)."""

    position: int
    requeued: bool = False


class CsAssigned(CsEvent):
    """A session got an agent (``cs.assigned``); ``wait_s`` is the time since it was first
    queued. ``reassigned``: it had an agent before (a transfer or a requeue), so ``wait_s`` also
    holds the time it was being served."""

    agent_id: int
    assigned_at: datetime
    wait_s: float
    reassigned: bool = False


class CsFirstResponse(CsEvent):
    """An agent answered a session for the first time (``cs.first_response``)."""

    agent_id: int
    assigned_at: datetime
    responded_at: datetime
    first_response_s: float


class CsTransferred(CsEvent):
    """A session moved to another agent or group (``cs.transferred``)."""

    from_agent_id: int | None
    to_agent_id: int | None
    to_group: str
    note: str = ""


class CsClosed(CsEvent):
    """A session ended (``cs.closed``): ``reason`` is customer, agent, idle, supervisor or left
    (the follower unfollowed)."""

    reason: str
    agent_id: int | None
    assigned_at: datetime | None
    closed_at: datetime
    duration_s: float


class CsRated(CsEvent):
    """The follower rated a closed session 1–5 (``cs.rated``)."""

    agent_id: int | None
    rating: int
    closed_at: datetime | None
    rated_at: datetime
