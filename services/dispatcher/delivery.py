"""The delivery state machine: accepted → sending → delivered | fallback_sent | failed(reason).

One :meth:`DeliveryService.__call__` owns one bus message. Every transition is committed (the
notification row and its history entries; concurrent deliveries share the transaction, see
:mod:`services.dispatcher.batching`) before it is published on ``wx.events`` in a
``delivery.<status>`` batch, and the bus message is acked only after its terminal commit. The
consumer is idempotent: a notification that is already terminal is just acked; one found in
``sending`` (its worker died) is resumed without repeating a send that has no
idempotency key. A message delivered on WeChat is never also sent by SMS.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Bus, Message, Reject, Retry
from libs.common.bus.dead_letters import REPLAY_HEADER
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
from services.dispatcher.batching import GroupCommit, status_events
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
from services.dispatcher.rate_limit import RateLimiter, seconds_until_daily_reset
from services.dispatcher.repository import Claimed, Finish, PendingEvent

log = get_logger(__name__)

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
    # WeChat said the user unfollowed (43004): the customer row is updated with the finish.
    unsubscribed: bool = False
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


@dataclass(frozen=True, slots=True)
class _Claim:
    """What claiming one bus message found: the claimed notification, or its current status."""

    claimed: Claimed | None
    status: str | None = None
    # Whether the customer-service window was taken in the claim (None: decide later).
    window: bool | None = None


@dataclass(frozen=True, slots=True)
class _Finishing:
    """A terminal transition waiting for the finish batch."""

    finish: Finish
    account_id: int
    # The openid WeChat called unsubscribed (43004), to mark the customer so.
    unsubscribed: str | None = None


def late_reply_id(message_id: str) -> str:
    """The notification id recording a custom message (late reply, publication, hand-over).

    A short bus message id is used as is, so the admin API can look up a publication
    recipient's outcome by its message id; longer ones are hashed to fit the column.
    """
    if len(message_id) <= 32:
        return message_id
    return hashlib.blake2b(message_id.encode(), digest_size=16).hexdigest()


class DeliveryService:
    """Delivers notifications and late replies of one priority class.

    Claims and terminal transitions of concurrent deliveries are written in shared
    transactions (:class:`GroupCommit`); each delivery still waits for its own commit before
    its bus message is acked.
    """

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
        quota_reset: Callable[[], float] = seconds_until_daily_reset,
        batch_max: int = 200,
        events_interval_s: float = 0.2,
        sends_in_flight: int = 32,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._directory = directory
        self._channels = channels
        self._limiter = limiter
        self._policy = policy
        self._default_deadline = timedelta(seconds=default_deadline_s)
        self._quota_reset = quota_reset
        self._late_sent: OrderedDict[str, None] = OrderedDict()
        self._claims: GroupCommit[str, _Claim] = GroupCommit(self._claim_batch, max_items=batch_max)
        self._finishes: GroupCommit[_Finishing, bool] = GroupCommit(
            self._finish_batch, max_items=batch_max
        )
        self._fallbacks: GroupCommit[tuple[str, tuple[PendingEvent, ...]], None] = GroupCommit(
            self._fallback_batch, max_items=batch_max
        )
        self._events = status_events(bus, interval_s=events_interval_s)
        # At most as many sends as pooled connections: httpcore scans its waiting requests and
        # every pooled connection on each request, so a long queue inside it costs CPU per send.
        self._send_slots = asyncio.Semaphore(sends_in_flight)

    async def start(self) -> None:
        """Start publishing status events."""
        await self._events.start()

    async def stop(self) -> None:
        """Finish the batches being written, publish the status events still queued."""
        for batches in (self._claims, self._finishes, self._fallbacks):
            await batches.drain()
        await self._events.stop()

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
        found = await (self._claim_replay(nid) if replay else self._claims.submit(nid))
        claimed = found.claimed
        if claimed is None:
            if found.status is None:
                raise Reject(f"unknown notification {nid}")
            return  # already terminal (a redelivery) or being delivered by a twin: just ack
        try:
            account = await self._directory.account(account_id=claimed.account_id)
        except UnknownAccount as exc:
            await self._finish_without_run(claimed, "failed", str(exc))
            return
        self._publish(claimed, account, "sending", previous=claimed.previous)
        config = await self._directory.reminder(claimed.account_id, claimed.event_type)
        if config is None:
            await self._finish_without_run(
                claimed, "failed", f"event type {claimed.event_type} is not configured", account
            )
            return
        run = _Run(claimed, account, config, await self._outgoing(claimed, account, config))
        run.window = found.window
        final = await self._deliver(run)
        run.note(final.status, final.reason or "ok", channel=final.channel)
        finished = await self._finishes.submit(
            _Finishing(
                Finish(
                    claimed.id,
                    final.status,
                    final.channel,
                    final.reason,
                    final.provider_id if final.channel in WECHAT_CHANNELS else None,
                    tuple(run.events),
                ),
                claimed.account_id,
                run.outgoing.openid if run.unsubscribed else None,
            )
        )
        if not finished:
            return  # another worker finished it meanwhile; its outcome stands
        FINAL_STATUS.labels(claimed.priority, final.status, final.channel or "-").inc()
        DELIVERY_LATENCY.labels(claimed.priority).observe(
            max(0.0, (_now() - claimed.created_at).total_seconds())
        )
        self._publish(
            claimed,
            account,
            final.status,
            previous="sending",
            channel=final.channel,
            reason=final.reason,
        )
        if final.status == "failed" and final.transient:
            raise Reject(f"notification {claimed.id} failed: {final.reason}")

    async def _claim_batch(self, ids: list[str]) -> list[_Claim]:
        """Claim a batch of notifications in one transaction (and take their windows)."""
        now = _now()
        unique = list(dict.fromkeys(ids))
        async with self._sessions.begin() as session:
            claimed = await repository.claim_many(session, notification_ids=unique, now=now)
            missing = [nid for nid in unique if nid not in claimed]
            statuses = (
                await repository.get_statuses(session, notification_ids=missing) if missing else {}
            )
            await repository.add_events_many(
                session,
                events=[
                    (c.id, PendingEvent(now, "sending", f"{_claim_detail(c)} (run {c.attempts})"))
                    for c in claimed.values()
                ],
            )
            windows = await self._windows_in_claim(session, list(claimed.values()), now)
        results: list[_Claim] = []
        seen: set[str] = set()
        for nid in ids:
            if nid in seen:
                # The same message twice in one batch: the first delivery owns it.
                results.append(_Claim(None, "sending"))
                continue
            seen.add(nid)
            row = claimed.get(nid)
            results.append(
                _Claim(row, window=windows.get(nid))
                if row is not None
                else _Claim(None, statuses.get(nid))
            )
        return results

    async def _claim_replay(self, nid: str) -> _Claim:
        """Claim one notification replayed from the dead letters (``failed`` may be reopened).

        An operator's replay is a new try: a notification whose deadline has passed gets its
        original delay budget again from now (at least the default), otherwise it would be
        refused at once as "deadline passed" and dead-lettered again without a single send.
        """
        now = _now()
        async with self._sessions.begin() as session:
            claimed = await repository.claim(
                session, notification_id=nid, now=now, reopen_failed=True
            )
            if claimed is None:
                return _Claim(None, await repository.get_status(session, notification_id=nid))
            detail = f"replayed from the dead-letter queue (run {claimed.attempts})"
            if claimed.deadline_at is not None and claimed.deadline_at <= now:
                budget = max(claimed.deadline_at - claimed.created_at, self._default_deadline)
                claimed = replace(claimed, deadline_at=now + budget)
                await repository.set_deadline(
                    session, notification_id=nid, deadline_at=claimed.deadline_at
                )
                detail += f", new deadline in {budget.total_seconds():.0f} s"
            await repository.add_events(
                session, notification_id=nid, events=[PendingEvent(now, "sending", detail)]
            )
        return _Claim(claimed)

    async def _windows_in_claim(
        self, session: AsyncSession, claimed: list[Claimed], now: datetime
    ) -> dict[str, bool | None]:
        """Take customer-service windows inside the claim transaction: one look-up per account
        and batch; only users with an open window cost an update."""
        decided: dict[str, bool | None] = {}
        candidates: dict[int, list[Claimed]] = {}
        for row in claimed:
            if not row.openid or row.previous != "accepted":
                continue  # a resumed run decides from its recorded channel
            config = await self._directory.reminder(row.account_id, row.event_type)
            if config is None or not config.cs_text or "wechat_custom" not in self._channels:
                decided[row.id] = False
                continue
            candidates.setdefault(row.account_id, []).append(row)
        for account_id, group in candidates.items():
            open_ = await repository.open_windows(
                session,
                account_id=account_id,
                openids=[row.openid for row in group if row.openid],
                now=now,
            )
            for row in group:
                assert row.openid is not None
                taken = row.openid in open_ and await repository.use_window(
                    session, account_id=account_id, openid=row.openid, now=now
                )
                if taken:
                    await repository.set_channel(
                        session, notification_id=row.id, channel="wechat_custom"
                    )
                decided[row.id] = taken
        return decided

    async def _finish_batch(self, items: list[_Finishing]) -> list[bool]:
        """Commit a batch of terminal transitions with their history in one transaction."""
        first: dict[str, _Finishing] = {}
        for item in items:
            first.setdefault(item.finish.notification_id, item)
        now = _now()
        async with self._sessions.begin() as session:
            done = await repository.finish_many(
                session, finishes=[item.finish for item in first.values()], now=now
            )
            unsubscribed: dict[int, list[str]] = {}
            for item in first.values():
                if item.unsubscribed and item.finish.notification_id in done:
                    unsubscribed.setdefault(item.account_id, []).append(item.unsubscribed)
            for account_id, openids in unsubscribed.items():
                await repository.mark_unsubscribed(
                    session, account_id=account_id, openids=openids, now=now
                )
        return [
            item.finish.notification_id in done and first[item.finish.notification_id] is item
            for item in items
        ]

    async def _fallback_batch(
        self, items: list[tuple[str, tuple[PendingEvent, ...]]]
    ) -> list[None]:
        """Record in one transaction that these notifications left WeChat for the fallback."""
        async with self._sessions.begin() as session:
            await repository.set_channel_many(
                session, notification_ids=[nid for nid, _ in items], channel=FALLBACK_CHANNEL
            )
            await repository.add_events_many(
                session, events=[(nid, event) for nid, events in items for event in events]
            )
        return [None] * len(items)

    async def _finish_without_run(
        self,
        claimed: Claimed,
        status: str,
        reason: str,
        account: AccountInfo | None = None,
    ) -> None:
        event = PendingEvent(_now(), status, reason)
        finished = await self._finishes.submit(
            _Finishing(Finish(claimed.id, status, None, reason, None, (event,)), claimed.account_id)
        )
        if not finished:
            return
        FINAL_STATUS.labels(claimed.priority, status, "-").inc()
        if account is not None:
            self._publish(claimed, account, status, previous="sending", reason=reason)

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
                # 45009: the daily quota is gone until WeChat resets it (Beijing midnight).
                self._limiter.pause(account, channel.name, self._quota_reset())
            elif result.outcome is Outcome.THROTTLED:
                self._limiter.pause(account, channel.name, self._policy.throttle_s)
            if result.errcode == 43004:
                run.unsubscribed = True
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
            await self._fallbacks.submit((claimed.id, tuple(run.events)))
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
        async with self._send_slots:
            started = time.perf_counter()
            result = await channel.send(outgoing)
            SEND_SECONDS.labels(channel.name).observe(time.perf_counter() - started)
        SENDS.labels(channel.name, result.outcome.value).inc()
        if result.errcode is not None:
            ERRCODES.labels(channel.name, str(result.errcode)).inc()
        return result

    def _publish(
        self,
        claimed: Claimed,
        account: AccountInfo,
        status: str,
        *,
        previous: str | None,
        channel: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Queue the ``delivery.<status>`` event (the status is already durable)."""
        self._events.add(
            DeliveryStatusChanged(
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
        )

    # -- late passive replies ------------------------------------------------------------------

    async def _late_reply(self, request: OutboundRequested) -> None:
        """Send an engine answer that missed the passive-reply deadline as a custom message.

        A custom message has no idempotency key, so it goes out at most once: a notification
        row keyed by the bus message id is written before the send, and a redelivery that
        finds it (even after a crash) is only acked.
        """
        mass = bool(request.mass_openids)
        if not (request.openid or mass) or not request.custom_message:
            raise Reject("custom message without recipient or body")
        if request.message_id in self._late_sent:
            return
        channel_name = "wechat_mass" if mass else "wechat_custom"
        channel = self._channels.get(channel_name)
        if channel is None:
            raise Reject(f"no {channel_name} channel registered")
        try:
            account = await self._directory.account(code=request.account)
        except UnknownAccount as exc:
            raise Reject(str(exc)) from exc
        nid = late_reply_id(request.message_id)
        async with self._sessions.begin() as session:
            started = await repository.start_late_reply(
                session,
                notification_id=nid,
                account_id=account.id,
                openid=request.openid,
                priority=request.priority,
                now=_now(),
                channel=channel.name,
            )
        self._remember_late(request.message_id)
        if not started:
            return
        outgoing = Outgoing(
            message_id=request.message_id,
            account=request.account,
            openid=request.openid,
            custom_message=request.custom_message,
            openids=tuple(request.mass_openids or ()),
        )
        await self._limiter.acquire(request.account, channel.name, priority=request.priority)
        result = await self._send(channel, outgoing)
        LATE_REPLIES.labels(result.outcome.value).inc()
        if result.outcome in (Outcome.RETRY, Outcome.THROTTLED):
            # Certainly not sent: forget it so the retry may send it.
            async with self._sessions.begin() as session:
                await repository.forget_late_reply(session, notification_id=nid)
            self._late_sent.pop(request.message_id, None)
            raise Retry(f"late reply not sent: {result.detail}", delay_s=self._policy.backoff(1))
        if not result.sent:
            log.warning("late_reply_not_sent", openid=request.openid, detail=result.detail)
        status = "delivered" if result.sent else "failed"
        reason = None if result.sent else result.detail
        now = _now()
        async with self._sessions.begin() as session:
            await repository.finish(
                session,
                notification_id=nid,
                status=status,
                channel=channel.name,
                reason=reason,
                wechat_msgid=result.provider_id if mass else None,
                now=now,
            )
            await repository.add_events(
                session,
                notification_id=nid,
                events=[PendingEvent(now, status, reason or f"{channel.name} sent", channel.name)],
            )
            if result.sent and request.openid:
                await repository.use_window(
                    session, account_id=account.id, openid=request.openid, now=now
                )

    def _remember_late(self, message_id: str) -> None:
        self._late_sent[message_id] = None
        if len(self._late_sent) > 10_000:
            self._late_sent.popitem(last=False)


def _claim_detail(claimed: Claimed) -> str:
    return "claimed" if claimed.previous == "accepted" else "resumed"


def _reason_label(reason: str) -> str:
    """A low-cardinality label for a fallback reason."""
    for label in ("deadline", "recipient", "paused", "outcome unknown", "attempts failed"):
        if label in reason:
            return label.replace(" ", "_")
    return "channel_refused"
