"""Sending on one channel: rate control, retries with backoff, and what each answer teaches.

:meth:`Attempts.on` sends until :func:`services.dispatcher.fallback.decide` says to stop and
returns that :class:`Decision` (with the last send result). Along the way it pauses an API
whose daily quota is gone or that throttles us, remembers that WeChat called the user
unsubscribed, and closes a customer-service window WeChat says is closed or used up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from libs.common.wechat.errors import ErrorCode
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult
from services.dispatcher.delivery.run import DeliveryRun, now
from services.dispatcher.delivery.windows import ServiceWindows
from services.dispatcher.fallback import Decision, Reason, RetryPolicy, Step, decide
from services.dispatcher.metrics import ERRCODES, FALLBACKS, SEND_SECONDS, SENDS
from services.dispatcher.rate_limit import RateLimiter

_WINDOW_GONE = frozenset({ErrorCode.OUT_OF_RESPONSE_WINDOW, ErrorCode.OUT_OF_RESPONSE_COUNT})


class Sender:
    """One send on a channel, measured, with at most ``in_flight`` sends at once.

    At most as many sends as pooled connections: httpcore scans its waiting requests and every
    pooled connection on each request, so a long queue inside it costs CPU per send.
    """

    def __init__(self, *, in_flight: int) -> None:
        self._slots = asyncio.Semaphore(in_flight)

    async def send(self, channel: Channel, outgoing: Outgoing) -> SendResult:
        """Send once and count the outcome (and WeChat's errcode, if any)."""
        async with self._slots:
            started = time.perf_counter()
            result = await channel.send(outgoing)
            SEND_SECONDS.labels(channel.name).observe(time.perf_counter() - started)
        SENDS.labels(outgoing.account, channel.name, result.outcome.value).inc()
        if result.errcode is not None:
            ERRCODES.labels(outgoing.account, channel.name, str(result.errcode)).inc()
        return result


class Attempts:
    """Sends a delivery on one channel until it is sent or the channel is given up."""

    def __init__(
        self,
        sender: Sender,
        limiter: RateLimiter,
        windows: ServiceWindows,
        *,
        policy: RetryPolicy,
        quota_reset: Callable[[], float],
    ) -> None:
        self._sender = sender
        self._limiter = limiter
        self._windows = windows
        self._policy = policy
        self._quota_reset = quota_reset

    async def on(
        self, run: DeliveryRun, channel: Channel, *, deadline: datetime | None
    ) -> Decision:
        """Send on ``channel`` with retries; the decision that ended them."""
        account = run.account.code
        attempt = 0
        while True:
            attempt += 1
            time_left = None if deadline is None else (deadline - now()).total_seconds()
            if time_left is not None and time_left <= 0:
                FALLBACKS.labels(account, Reason.DEADLINE).inc()
                return Decision(
                    Step.NEXT_CHANNEL,
                    Reason.DEADLINE,
                    f"deadline passed before {channel.name} could deliver",
                    transient=True,
                )
            paused = self._limiter.paused_for(account, channel.name)
            if paused and (time_left is None or paused >= time_left):
                reason = f"{channel.name} paused for {paused:.0f}s (quota or rate limit)"
                run.note("sending", reason, channel=channel.name)
                return Decision(Step.NEXT_CHANNEL, Reason.PAUSED, reason, transient=True)
            await self._limiter.acquire(account, channel.name, priority=run.claimed.priority)
            result = await self._sender.send(channel, run.outgoing)
            if result.sent:
                return Decision(Step.DONE, Reason.SENT, "sent", result=result)
            await self._learn(run, channel, result)
            time_left = None if deadline is None else (deadline - now()).total_seconds()
            decision = decide(result, attempt=attempt, policy=self._policy, time_left_s=time_left)
            run.note("sending", decision.reason, channel=channel.name, errcode=result.errcode)
            if decision.step is not Step.RETRY:
                return decision
            await asyncio.sleep(decision.delay_s)

    async def _learn(self, run: DeliveryRun, channel: Channel, result: SendResult) -> None:
        """Act on what a failed send says about the API, the user and the window."""
        if result.outcome is Outcome.QUOTA:
            # 45009: the daily quota is gone until WeChat resets it (Beijing midnight).
            self._limiter.pause(run.account.code, channel.name, self._quota_reset())
        elif result.outcome is Outcome.THROTTLED:
            self._limiter.pause(run.account.code, channel.name, self._policy.throttle_s)
        if result.errcode == ErrorCode.USER_NOT_FOLLOWING:
            run.unsubscribed = True
        if result.errcode in _WINDOW_GONE and run.outgoing.openid:
            await self._windows.close(run.claimed.account_id, run.outgoing.openid)
