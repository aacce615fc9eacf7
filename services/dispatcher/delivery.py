"""The delivery state machine: accepted → sending → delivered | fallback_sent | failed(reason).

One :meth:`DeliveryService.handle` call owns one bus message. Every transition is committed
(the notification row and its history entries in one transaction) before it is published on
``wx.events`` as ``delivery.<status>``, and the bus message is acked only after the terminal
commit. The consumer is idempotent: a notification that is already terminal is just acked; one
found in ``sending`` (its worker died) is resumed without repeating a send that has no
idempotency key. A message delivered on WeChat is never also sent by SMS.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import EVENTS, Bus, Message, Reject, Retry
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import DeliveryStatusChanged
from libs.common.schemas.outbound import OutboundRequested
from services.dispatcher import repository
from services.dispatcher.accounts import (
    AccountDirectory,
    AccountInfo,
    ReminderConfig,
    UnknownAccount,
)
from services.dispatcher.channels import ChannelRegistry
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult
from services.dispatcher.fallback import RetryPolicy, Step, decide
from services.dispatcher.metrics import (
    DELIVERY_LATENCY,
    ERRCODES,
    FALLBACKS,
    FINAL_STATUS,
    LATE_REPLIES,
    SEND_SECONDS,
    SENDS,
)
from services.dispatcher.rate_limit import RateLimiter
from services.dispatcher.repository import Claimed, PendingEvent

log = get_logger(__name__)

# Set by the dead-letter replay: a replayed message may send a ``failed`` notification again.
REPLAY_HEADER = "x-wxhub-replay"
WECHAT_CHANNELS = ("wechat_custom", "wechat_template")
FALLBACK_CHANNEL = "sms"


def _now() -> datetime:
    return datetime.now(UTC)


class _Defaults(dict[str, Any]):
    """Format-string data where a missing field renders empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, data: dict[str, Any]) -> str:
    """Fill ``{field}`` placeholders from ``data``; a broken template is returned as is."""
    if not template:
        return ""
    try:
        return template.format_map(_Defaults(data))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


@dataclass
class _Run:
    """The working state of one delivery."""

    claimed: Claimed
    account: AccountInfo
    config: ReminderConfig
    outgoing: Outgoing
    events: list[PendingEvent] = field(default_factory=list)
    wechat_unknown: bool = False
    # Whether the customer-service window was taken (None: not checked yet).
    window: bool | None = None

    def note(
        self, status: str, detail: str, *, channel: str | None = None, errcode: int | None = None
    ) -> None:
        """Remember a decision, to be stored with the next transition."""
        self.events.append(PendingEvent(_now(), status, detail, channel, errcode))


@dataclass(frozen=True, slots=True)
class _Final:
    status: str
    channel: str | None
    reason: str | None
    provider_id: str | None = None
    transient: bool = False


class DeliveryService:
    """Delivers notifications and late replies of one priority class."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        directory: AccountDirectory,
        channels: ChannelRegistry,
        limiter: RateLimiter,
        policy: RetryPolicy,
        default_deadline_s: float = 30.0,
        quota_block_s: float = 3600.0,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._directory = directory
        self._channels = channels
        self._limiter = limiter
        self._policy = policy
        self._default_deadline = timedelta(seconds=default_deadline_s)
        self._quota_block_s = quota_block_s
        self._late_sent: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, request: OutboundRequested, message: Message) -> None:
        """Bus entry point (see :func:`libs.common.bus.typed_handler`)."""
        try:
            if request.notification_id is None:
                await self._late_reply(request)
            else:
                replay = bool(message.headers.get(REPLAY_HEADER))
                await self._notification(request, request.notification_id, replay=replay)
        except (OperationalError, DBAPIError, OSError) as exc:
            # The database is unreachable: put the message back rather than dead-letter it.
            log.warning("delivery_db_unavailable", error=str(exc))
            raise Retry("database unavailable", delay_s=1.0) from exc

    # -- notifications -------------------------------------------------------------------------

    async def _notification(self, request: OutboundRequested, nid: str, *, replay: bool) -> None:
        async with self._sessions.begin() as session:
            claimed = await repository.claim(
                session, notification_id=nid, now=_now(), reopen_failed=replay
            )
            if claimed is None:
                status = await repository.get_status(session, notification_id=nid)
            else:
                detail = "claimed" if claimed.previous == "accepted" else "resumed"
                if replay:
                    detail = "replayed from the dead-letter queue"
                await repository.add_events(
                    session,
                    notification_id=nid,
                    events=[PendingEvent(_now(), "sending", f"{detail} (run {claimed.attempts})")],
                )
                window = await self._window_in_claim(session, claimed)
        if claimed is None:
            if status is None:
                raise Reject(f"unknown notification {nid}")
            return  # already terminal: a redelivery, just ack
        try:
            account = await self._directory.account(account_id=claimed.account_id)
        except UnknownAccount as exc:
            await self._finish_without_run(claimed, request, "failed", str(exc))
            return
        await self._publish(claimed, account, "sending", previous=claimed.previous)
        config = await self._directory.reminder(claimed.account_id, claimed.event_type)
        if config is None:
            await self._finish_without_run(
                claimed,
                request,
                "failed",
                f"event type {claimed.event_type} is not configured",
                account,
            )
            return
        run = _Run(claimed, account, config, await self._outgoing(claimed, account, config))
        run.window = window
        final = await self._deliver(run)
        async with self._sessions.begin() as session:
            run.note(final.status, final.reason or "ok", channel=final.channel)
            finished = await repository.finish(
                session,
                notification_id=claimed.id,
                status=final.status,
                channel=final.channel,
                reason=final.reason,
                wechat_msgid=final.provider_id if final.channel in WECHAT_CHANNELS else None,
                now=_now(),
            )
            if finished:
                await repository.add_events(session, notification_id=claimed.id, events=run.events)
        if not finished:
            return  # another worker finished it meanwhile; its outcome stands
        FINAL_STATUS.labels(claimed.priority, final.status, final.channel or "-").inc()
        DELIVERY_LATENCY.labels(claimed.priority).observe(
            max(0.0, (_now() - claimed.created_at).total_seconds())
        )
        await self._publish(
            claimed,
            account,
            final.status,
            previous="sending",
            channel=final.channel,
            reason=final.reason,
        )
        if final.status == "failed" and final.transient:
            raise Reject(f"notification {claimed.id} failed: {final.reason}")

    async def _finish_without_run(
        self,
        claimed: Claimed,
        request: OutboundRequested,
        status: str,
        reason: str,
        account: AccountInfo | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            await repository.finish(
                session,
                notification_id=claimed.id,
                status=status,
                channel=None,
                reason=reason,
                wechat_msgid=None,
                now=_now(),
            )
            await repository.add_events(
                session, notification_id=claimed.id, events=[PendingEvent(_now(), status, reason)]
            )
        FINAL_STATUS.labels(claimed.priority, status, "-").inc()
        if account is not None:
            await self._publish(claimed, account, status, previous="sending", reason=reason)

    async def _outgoing(
        self, claimed: Claimed, account: AccountInfo, config: ReminderConfig
    ) -> Outgoing:
        openid, phone = claimed.openid, claimed.phone
        if not openid or not phone:
            async with self._sessions() as session:
                customer = await repository.get_customer(
                    session,
                    account_id=claimed.account_id,
                    openid=openid,
                    customer_no=claimed.customer_no,
                )
            if customer is not None:
                openid = openid or (customer.openid if customer.subscribed else None)
                phone = phone or customer.phone
        data = claimed.data
        return Outgoing(
            message_id=claimed.id,
            account=account.code,
            openid=openid,
            phone=phone,
            text=render(config.cs_text, data),
            sms_text=render(config.sms_text, data),
            template_id=config.template_id,
            template_data={
                k: {"value": render(str(v), data)} for k, v in config.template_fields.items()
            },
            template_url=render(config.template_url, data),
        )

    def _plan(self, run: _Run) -> list[str]:
        """WeChat channels to try, in order; the fallback channel is decided separately."""
        claimed = run.claimed
        if claimed.channel == FALLBACK_CHANNEL:
            run.note("sending", "resumed in fallback: WeChat was given up before the crash")
            return []
        plan = ["wechat_custom", "wechat_template"]
        if claimed.channel == "wechat_custom" and claimed.previous == "sending":
            # The crashed run may have sent it: a customer-service message has no idempotency key.
            run.note(
                "sending",
                "resumed: custom-message outcome unknown, not repeated",
                channel="wechat_custom",
            )
            run.wechat_unknown = True
            plan.remove("wechat_custom")
        return [name for name in plan if name in self._channels]

    def _fallback_allowed(self, run: _Run) -> bool:
        return (
            run.claimed.fallback == "sms"
            and run.config.fallback_allowed
            and FALLBACK_CHANNEL in self._channels
        )

    async def _deliver(self, run: _Run) -> _Final:
        claimed = run.claimed
        reason = "no WeChat channel can reach the user"
        transient = False
        for name in self._plan(run):
            channel = self._channels.get(name)
            assert channel is not None
            if not channel.can_send(run.outgoing):
                continue
            if name == "wechat_custom":
                taken = run.window if run.window is not None else await self._take_window(run)
                if not taken:
                    continue
                run.note("sending", "customer-service window open: custom message", channel=name)
            result, reason, transient, step = await self._attempts(
                run, channel, deadline=claimed.deadline_at
            )
            if result is not None and result.sent:
                return _Final("delivered", name, None, result.provider_id)
            if result is not None and result.outcome is Outcome.UNKNOWN:
                run.wechat_unknown = True
            if step is Step.FALLBACK:
                break
        return await self._fall_back(run, reason, transient)

    async def _take_window(self, run: _Run) -> bool:
        """Use the customer-service window if one is open with quota left (and say so durably)."""
        claimed, openid = run.claimed, run.outgoing.openid
        if not openid:
            return False
        async with self._sessions.begin() as session:
            taken = await repository.use_window(
                session, account_id=claimed.account_id, openid=openid, now=_now()
            )
            if taken:
                await repository.set_channel(
                    session, notification_id=claimed.id, channel="wechat_custom"
                )
        return taken

    async def _window_in_claim(self, session: AsyncSession, claimed: Claimed) -> bool | None:
        """Take the window inside the claim transaction when the configuration is cached
        (saves a transaction per message); None when it must be decided later."""
        config = self._directory.cached_reminder(claimed.account_id, claimed.event_type)
        if config is None or not claimed.openid or claimed.previous != "accepted":
            return None
        if not config.cs_text or "wechat_custom" not in self._channels:
            return False
        taken = await repository.use_window(
            session, account_id=claimed.account_id, openid=claimed.openid, now=_now()
        )
        if taken:
            await repository.set_channel(
                session, notification_id=claimed.id, channel="wechat_custom"
            )
        return taken

    async def _attempts(
        self, run: _Run, channel: Channel, *, deadline: datetime | None
    ) -> tuple[SendResult | None, str, bool, Step]:
        """Send on one channel with retries; returns the last result, reason, transient, step."""
        account = run.account.code
        attempt = 0
        while True:
            attempt += 1
            time_left = None if deadline is None else (deadline - _now()).total_seconds()
            if time_left is not None and time_left <= 0:
                FALLBACKS.labels("deadline").inc()
                return (
                    None,
                    f"deadline passed before {channel.name} could deliver",
                    True,
                    Step.NEXT_CHANNEL,
                )
            paused = self._limiter.paused_for(account, channel.name)
            if paused and (time_left is None or paused >= time_left):
                reason = f"{channel.name} paused for {paused:.0f}s (quota or rate limit)"
                run.note("sending", reason, channel=channel.name)
                return None, reason, True, Step.NEXT_CHANNEL
            await self._limiter.acquire(account, channel.name, priority=run.claimed.priority)
            result = await self._send(channel, run.outgoing)
            if result.sent:
                return result, "sent", False, Step.DONE
            if result.outcome is Outcome.QUOTA:
                self._limiter.pause(account, channel.name, self._quota_block_s)
            elif result.outcome is Outcome.THROTTLED:
                self._limiter.pause(account, channel.name, self._policy.throttle_s)
            if result.errcode in (45015, 45047) and run.outgoing.openid:
                async with self._sessions.begin() as session:
                    await repository.close_window(
                        session,
                        account_id=run.claimed.account_id,
                        openid=run.outgoing.openid,
                        now=_now(),
                    )
            time_left = None if deadline is None else (deadline - _now()).total_seconds()
            decision = decide(result, attempt=attempt, policy=self._policy, time_left_s=time_left)
            run.note("sending", decision.reason, channel=channel.name, errcode=result.errcode)
            if decision.step is Step.RETRY:
                await asyncio.sleep(decision.delay_s)
                continue
            return result, decision.reason, decision.transient, decision.step

    async def _fall_back(self, run: _Run, reason: str, transient: bool) -> _Final:
        claimed = run.claimed
        if not self._fallback_allowed(run):
            return _Final("failed", None, f"{reason}; no fallback allowed", transient=transient)
        sms = self._channels.get(FALLBACK_CHANNEL)
        assert sms is not None
        if not sms.can_send(run.outgoing):
            return _Final("failed", None, f"{reason}; no phone number or SMS text for the fallback")
        FALLBACKS.labels(_reason_label(reason)).inc()
        detail = f"fallback to SMS: {reason}"
        if run.wechat_unknown:
            detail += " (a WeChat attempt had an unknown outcome)"
        if claimed.channel != FALLBACK_CHANNEL:
            # Durable before the SMS goes out: a crash after this resumes in fallback, never
            # back on WeChat, so the user never gets both.
            run.note("sending", detail, channel=FALLBACK_CHANNEL)
            async with self._sessions.begin() as session:
                await repository.set_channel(
                    session, notification_id=claimed.id, channel=FALLBACK_CHANNEL
                )
                await repository.add_events(session, notification_id=claimed.id, events=run.events)
            run.events.clear()
        result, sms_reason, sms_transient, _ = await self._attempts(run, sms, deadline=None)
        if result is not None and result.sent:
            return _Final("fallback_sent", FALLBACK_CHANNEL, reason, result.provider_id)
        return _Final(
            "failed",
            FALLBACK_CHANNEL,
            f"{reason}; SMS failed: {sms_reason}",
            transient=sms_transient,
        )

    async def _send(self, channel: Channel, outgoing: Outgoing) -> SendResult:
        started = time.perf_counter()
        result = await channel.send(outgoing)
        SEND_SECONDS.labels(channel.name).observe(time.perf_counter() - started)
        SENDS.labels(channel.name, result.outcome.value).inc()
        if result.errcode is not None:
            ERRCODES.labels(channel.name, str(result.errcode)).inc()
        return result

    async def _publish(
        self,
        claimed: Claimed,
        account: AccountInfo,
        status: str,
        *,
        previous: str | None,
        channel: str | None = None,
        reason: str | None = None,
    ) -> None:
        event = DeliveryStatusChanged(
            correlation_id=claimed.id,
            notification_id=claimed.id,
            account=account.code,
            status=status,
            previous=previous,
            channel=channel,
            reason=reason,
            priority=claimed.priority,
            accepted_at=claimed.created_at,
        )
        try:
            await self._bus.publish(
                EVENTS, f"delivery.{status}", event.to_bytes(), message_id=event.message_id
            )
        except Exception:
            # The status is durable in the database; the event is a notification of it.
            log.warning(
                "delivery_event_not_published",
                notification_id=claimed.id,
                status=status,
                exc_info=True,
            )

    # -- late passive replies ------------------------------------------------------------------

    async def _late_reply(self, request: OutboundRequested) -> None:
        """Send an engine answer that missed the passive-reply deadline as a custom message."""
        if not request.openid or not request.custom_message:
            raise Reject("late reply without openid or message")
        if request.message_id in self._late_sent:
            return
        channel = self._channels.get("wechat_custom")
        if channel is None:
            raise Reject("no wechat_custom channel registered")
        # Claimed before sending, so a concurrent duplicate delivery is skipped too.
        self._late_sent[request.message_id] = None
        if len(self._late_sent) > 10_000:
            self._late_sent.popitem(last=False)
        outgoing = Outgoing(
            message_id=request.message_id,
            account=request.account,
            openid=request.openid,
            custom_message=request.custom_message,
        )
        await self._limiter.acquire(request.account, channel.name, priority=request.priority)
        result = await self._send(channel, outgoing)
        LATE_REPLIES.labels(result.outcome.value).inc()
        if result.outcome in (Outcome.RETRY, Outcome.THROTTLED):
            self._late_sent.pop(request.message_id, None)
            raise Retry(f"late reply not sent: {result.detail}", delay_s=self._policy.backoff(1))
        if not result.sent:
            log.warning("late_reply_not_sent", openid=request.openid, detail=result.detail)
            return
        try:
            account = await self._directory.account(code=request.account)
        except UnknownAccount:
            return
        async with self._sessions.begin() as session:
            await repository.use_window(
                session, account_id=account.id, openid=request.openid, now=_now()
            )


def _reason_label(reason: str) -> str:
    """A low-cardinality label for a fallback reason."""
    for label in ("deadline", "recipient", "paused", "outcome unknown", "attempts failed"):
        if label in reason:
            return label.replace(" ", "_")
    return "channel_refused"
