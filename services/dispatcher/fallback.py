"""What to do after a send attempt (docs/wechat-protocol.md §9): retry, switch, fall back, fail.

The delay budget (R-PERF-6) applies to the plan's channels: a retry that would end after the
message's deadline is not attempted, the message falls back instead. The fallback channel itself
is retried with backoff until its attempts run out, deadline or not.

Every :class:`Decision` carries a :class:`Reason` code (for metric labels and programs) next to
its prose ``reason`` (for the notification's history and the people reading it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum, StrEnum

from services.dispatcher.channels.base import Outcome, SendResult


class Step(Enum):
    """The next step of a delivery."""

    DONE = "done"  # delivered
    RETRY = "retry"  # same channel again after ``delay_s``
    NEXT_CHANNEL = "next_channel"  # next channel of the plan (template after custom, …)
    FALLBACK = "fallback"  # skip the rest of this network, go to the fallback channel


class Reason(StrEnum):
    """Why a channel was left (a metric label; the prose says the same for people)."""

    SENT = "sent"
    RETRYING = "retrying"
    DEADLINE = "deadline"  # the delay budget ran out
    PAUSED = "paused"  # the API is paused (daily quota, rate limit) past the deadline
    RECIPIENT = "recipient"  # the user cannot be reached on this network (unfollowed…)
    OUTCOME_UNKNOWN = "outcome_unknown"  # may have been sent; not repeated
    ATTEMPTS_FAILED = "attempts_failed"  # retries exhausted
    CHANNEL_REFUSED = "channel_refused"  # the channel cannot carry it (window, quota, payload)
    # WeChat not used at all (services/dispatcher/delivery/suppression.py):
    UNSUBSCRIBED = "unsubscribed"  # the follower unfollowed the account
    BINDING_SUSPENDED = "binding_suspended"  # the binding is suspended
    OPTED_OUT = "opted_out"  # the customer opted out of this reminder type


@dataclass(frozen=True, slots=True)
class Decision:
    """A step, why (a code and prose), and how long to wait before it."""

    step: Step
    code: Reason
    reason: str
    delay_s: float = 0.0
    # Whether giving up here is transient (worth a dead letter and a replay) or a verdict.
    transient: bool = False
    # The send result the decision was taken on (None when the channel was not tried).
    result: SendResult | None = None

    @property
    def sent(self) -> bool:
        """Whether the message went out."""
        return self.result is not None and self.result.sent


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded attempts."""

    max_attempts: int = 5
    base_s: float = 0.2
    max_s: float = 5.0
    throttle_s: float = 10.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based): half fixed, half random."""
        ceiling = min(self.max_s, self.base_s * 2.0 ** (attempt - 1))
        jitter = (rng or random).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter


def decide(
    result: SendResult,
    *,
    attempt: int,
    policy: RetryPolicy,
    time_left_s: float | None,
    rng: random.Random | None = None,
) -> Decision:
    """The step after ``result`` (attempt ``attempt`` on its channel).

    ``time_left_s`` is the time until the message's deadline, or None when no deadline applies
    (the fallback channel).
    """
    outcome = result.outcome
    if outcome is Outcome.SENT:
        return Decision(Step.DONE, Reason.SENT, "sent", result=result)
    if outcome is Outcome.RECIPIENT:
        return Decision(
            Step.FALLBACK,
            Reason.RECIPIENT,
            f"recipient unreachable on {result.channel}: {result.detail}",
            result=result,
        )
    if outcome in (Outcome.RETRY, Outcome.THROTTLED):
        if attempt >= policy.max_attempts:
            return Decision(
                Step.NEXT_CHANNEL,
                Reason.ATTEMPTS_FAILED,
                f"{result.channel}: {attempt} attempts failed, last: {result.detail}",
                transient=True,
                result=result,
            )
        delay = policy.throttle_s if outcome is Outcome.THROTTLED else policy.backoff(attempt, rng)
        if time_left_s is not None and delay >= time_left_s:
            return Decision(
                Step.NEXT_CHANNEL,
                Reason.DEADLINE,
                f"deadline: {result.channel} would retry after the delay budget ({result.detail})",
                transient=True,
                result=result,
            )
        return Decision(
            Step.RETRY,
            Reason.RETRYING,
            f"{result.channel} {outcome.value}: {result.detail}",
            delay,
            result=result,
        )
    if outcome is Outcome.UNKNOWN:
        return Decision(
            Step.NEXT_CHANNEL,
            Reason.OUTCOME_UNKNOWN,
            f"{result.channel} outcome unknown, not repeated (no idempotency key): {result.detail}",
            transient=True,
            result=result,
        )
    return Decision(
        Step.NEXT_CHANNEL,
        Reason.CHANNEL_REFUSED,
        f"{result.channel} {outcome.value}: {result.detail}",
        result=result,
    )
