"""One business notification, from its claim to its terminal status.

::

    claim (claims.py) ─▶ account, reminder type ─▶ outgoing texts (outgoing.py)
        ─▶ recipient unfollowed, suspended or opted out (suppression.py): SMS only, or suppressed
        ─▶ for each channel of the plan (plan.py): window? (windows.py) ─▶ attempts (attempts.py)
        ─▶ not delivered: fallback channel, switch committed first (finishes.py)
        ─▶ outcome (outcomes.py): terminal transition committed (finishes.py)
           ─▶ metrics ─▶ delivery.<status> event (events.py)

A message delivered on one network is never also sent on another: the fallback runs only when
no channel of the plan delivered, and once it was chosen a resumed run never goes back.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Reject
from libs.common.observability.logging import get_logger
from libs.common.short_links import LinkTracker
from services.dispatcher import repository
from services.dispatcher.accounts import AccountDirectory, AccountInfo, UnknownAccount
from services.dispatcher.channels.base import Channel, Outcome
from services.dispatcher.delivery.attempts import Attempts
from services.dispatcher.delivery.claims import Claim, Claims, Leases
from services.dispatcher.delivery.events import StatusPublisher
from services.dispatcher.delivery.finishes import FallbackSwitch, Transitions
from services.dispatcher.delivery.outcomes import Outcomes
from services.dispatcher.delivery.outgoing import build_outgoing
from services.dispatcher.delivery.plan import ChannelPlan
from services.dispatcher.delivery.run import DeliveryRun, Final
from services.dispatcher.delivery.suppression import judge, state_of
from services.dispatcher.delivery.windows import ServiceWindows
from services.dispatcher.fallback import Decision, Reason, Step
from services.dispatcher.metrics import FALLBACKS, SUPPRESSED
from services.dispatcher.repository import Claimed

log = get_logger(__name__)


class LeaseLost(Exception):
    """This run's claim is no longer current: another worker took the notification over."""


class NotificationDelivery:
    """Delivers claimed notifications along the channel plan."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        directory: AccountDirectory,
        claims: Claims,
        leases: Leases,
        plan: ChannelPlan,
        windows: ServiceWindows,
        attempts: Attempts,
        transitions: Transitions,
        events: StatusPublisher,
        tracker: LinkTracker | None = None,
        held_recheck_s: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._tracker = tracker
        self._held_recheck_s = held_recheck_s
        self._directory = directory
        self._claims = claims
        self._leases = leases
        self._plan = plan
        self._windows = windows
        self._attempts = attempts
        self._transitions = transitions
        self._events = events
        self._outcomes = Outcomes(transitions, events)

    async def __call__(self, notification_id: str, *, replay: bool = False) -> None:
        """Deliver one notification; returns once its outcome is committed (or not ours)."""
        found = await self._claims.claim(notification_id, replay=replay)
        while found.claimed is None and found.status == "sending":
            # Another run holds it (here or elsewhere): keep this copy and look again when that
            # run may have ended, or its worker died and the lease ran out. Acking could lose it
            # with that worker; putting it back would spin it through the broker meanwhile.
            await asyncio.sleep(min(max(found.held_s, 0.05), self._held_recheck_s))
            found = await self._claims.claim(notification_id, replay=replay)
        claimed = found.claimed
        if claimed is None:
            if found.status is None:
                raise Reject(f"unknown notification {notification_id}")
            return  # already terminal (a redelivery): just ack
        self._leases.hold(claimed)
        finished = False
        try:
            await self._run(found, claimed)
            finished = True
        except LeaseLost:
            finished = True  # nothing of ours to release; the message is acked
        finally:
            if finished:
                self._leases.done(claimed)
            else:
                # Ended without finishing: let the redelivery resume now, not after the lease.
                await asyncio.shield(self._leases.release(claimed))

    async def _run(self, found: Claim, claimed: Claimed) -> None:
        try:
            account = await self._directory.account(account_id=claimed.account_id)
        except UnknownAccount as exc:
            await self._outcomes.finish_unstarted(claimed, "failed", str(exc))
            return
        try:
            self._events.changed(claimed, account, "sending", previous=claimed.previous)
            run = await self._start(found, claimed, account)
            if run is None:
                return
            final = await self._deliver(run)
            await self._outcomes.finish(run, final)
        except (Reject, LeaseLost, OperationalError, DBAPIError, OSError):
            raise  # settled already, or the database is away (the message is put back)
        except Exception as exc:
            # Poison (data no channel can encode) or a bug: the message is dead-lettered, and
            # its row ends ``failed`` with the reason instead of staying ``sending``; an
            # operator's replay may reopen it once fixed.
            reason = f"delivery error: {type(exc).__name__}: {exc}"
            log.exception("delivery_error", id=claimed.id)
            await self._outcomes.finish_unstarted(claimed, "failed", reason, account)
            raise Reject(f"notification {claimed.id}: {reason}") from exc

    async def _start(
        self, found: Claim, claimed: Claimed, account: AccountInfo
    ) -> DeliveryRun | None:
        config = await self._directory.reminder(claimed.account_id, claimed.event_type)
        if config is None:
            reason = f"event type {claimed.event_type} is not configured"
            await self._outcomes.finish_unstarted(claimed, "failed", reason, account)
            return None
        outgoing = await build_outgoing(
            self._sessions, claimed, account, config, self._directory.box, self._tracker
        )
        state = found.recipient or await state_of(self._sessions, claimed, self._directory.box)
        return DeliveryRun(
            claimed,
            account,
            config,
            outgoing,
            window=found.window,
            recorded_channel=self._windows.channel if found.window else claimed.channel,
            verdict=None
            if state is None
            else judge(state, claimed.event_type, sms_to_unsubscribed=config.sms_to_unsubscribed),
        )

    async def _deliver(self, run: DeliveryRun) -> Final:
        """Try the plan's channels in order, then the fallback."""
        if run.verdict is not None:
            return await self._without_wechat(run)
        last: Decision | None = None
        for channel in self._plan.for_run(run):
            if not channel.can_send(run.outgoing):
                continue
            if channel.windowed:
                taken = run.window
                if taken is None:
                    taken = await self._windows.take(
                        run.claimed.account_id, run.outgoing.openid, run.claimed.id
                    )
                if not taken:
                    continue
                run.recorded_channel = channel.name
                run.note(
                    "sending", "customer-service window open: custom message", channel=channel.name
                )
            elif not channel.idempotent and run.recorded_channel != channel.name:
                await self._record_channel(run, channel.name)
            decision = await self._attempts.on(run, channel, deadline=run.claimed.deadline_at)
            if decision.sent:
                return Final(
                    "delivered", channel.name, None, Reason.SENT, _msgid(channel, decision)
                )
            if decision.result is not None and decision.result.outcome is Outcome.UNKNOWN:
                run.outcome_unknown = True
            last = decision
            if decision.step is Step.FALLBACK:
                break
        if last is None:
            return await self._fall_back(
                run, Reason.CHANNEL_REFUSED, "no channel of the plan can reach the user", False
            )
        return await self._fall_back(run, last.code, last.reason, last.transient)

    async def _without_wechat(self, run: DeliveryRun) -> Final:
        """SMS only where the verdict and the request allow it; otherwise suppressed."""
        verdict = run.verdict
        assert verdict is not None
        code = verdict.code
        fallback = self._plan.fallback
        if (
            verdict.sms_allowed
            and fallback is not None
            and run.claimed.fallback == self._plan.fallback_name
            and fallback.can_send(run.outgoing)
        ):
            SUPPRESSED.labels(code, "sms").inc()
            return await self._fall_back(run, code, code.value, False, allowed=True)
        SUPPRESSED.labels(code, "suppressed").inc()
        run.note("sending", f"not sent on WeChat: {code.value}; no SMS allowed or possible")
        return Final("suppressed", None, code.value, code)

    async def _record_channel(self, run: DeliveryRun, channel: str) -> None:
        async with self._sessions.begin() as session:
            await repository.set_channel(session, notification_id=run.claimed.id, channel=channel)
        run.recorded_channel = channel

    async def _fall_back(
        self, run: DeliveryRun, code: Reason, reason: str, transient: bool, *, allowed: bool = False
    ) -> Final:
        fallback = self._plan.fallback
        if fallback is None or not (allowed or self._plan.fallback_allowed(run)):
            return Final(
                "failed", None, f"{reason}; no fallback allowed", code, transient=transient
            )
        if not fallback.can_send(run.outgoing):
            return Final(
                "failed", None, f"{reason}; no phone number or SMS text for the fallback", code
            )
        FALLBACKS.labels(run.account.code, code).inc()
        detail = f"fallback to SMS: {reason}"
        if run.outcome_unknown:
            detail += " (a WeChat attempt had an unknown outcome)"
        if run.claimed.channel != fallback.name:
            # Durable before the fallback goes out: a crash after this resumes in the fallback,
            # never back on the plan, so the user never gets both.
            run.note("sending", detail, channel=fallback.name)
            switched = await self._transitions.switch_to_fallback(
                FallbackSwitch(run.claimed.id, tuple(run.events), run.claimed.attempts)
            )
            if not switched:
                # Our lease ran out and another worker owns it now: its run decides.
                raise LeaseLost(run.claimed.id)
            run.events.clear()
        decision = await self._attempts.on(run, fallback, deadline=None)
        if decision.sent:
            return Final("fallback_sent", fallback.name, reason, code, _msgid(fallback, decision))
        return Final(
            "failed",
            fallback.name,
            f"{reason}; SMS failed: {decision.reason}",
            decision.code,
            transient=decision.transient,
        )


def _msgid(channel: Channel, decision: Decision) -> str | None:
    """WeChat's message id, kept on the row (other networks' ids stay in their own logs)."""
    if channel.network != "wechat" or decision.result is None:
        return None
    return decision.result.provider_id
