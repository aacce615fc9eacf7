"""What to do after a send attempt (docs/wechat-protocol.md §9): retry, switch, fall back, fail.

The delay budget (R-PERF-6) applies to WeChat: a retry that would end after the message's
deadline is not attempted, the message falls back instead. The fallback channel itself is
retried with backoff until its attempts run out, deadline or not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from services.dispatcher.channels.base import Outcome, SendResult


class Step(Enum):
    """The next step of a delivery."""

    DONE = "done"  # delivered
    RETRY = "retry"  # same channel again after ``delay_s``
    NEXT_CHANNEL = "next_channel"  # next channel of the plan (template after custom, …)
    FALLBACK = "fallback"  # skip the rest of this network, go to the fallback channel


@dataclass(frozen=True, slots=True)
class Decision:
    """A step, why, and how long to wait before it."""

    step: Step
    reason: str
    delay_s: float = 0.0
    # Whether giving up here is transient (worth a dead letter and a replay) or a verdict.
    transient: bool = False


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
        return Decision(Step.DONE, "sent")
    if outcome is Outcome.RECIPIENT:
        return Decision(
            Step.FALLBACK, f"recipient unreachable on {result.channel}: {result.detail}"
        )
    if outcome in (Outcome.RETRY, Outcome.THROTTLED):
        if attempt >= policy.max_attempts:
            return Decision(
                Step.NEXT_CHANNEL,
                f"{result.channel}: {attempt} attempts failed, last: {result.detail}",
                transient=True,
            )
        delay = policy.throttle_s if outcome is Outcome.THROTTLED else policy.backoff(attempt, rng)
        if time_left_s is not None and delay >= time_left_s:
            return Decision(
                Step.NEXT_CHANNEL,
                f"deadline: {result.channel} would retry after the delay budget ({result.detail})",
                transient=True,
            )
        return Decision(Step.RETRY, f"{result.channel} {outcome.value}: {result.detail}", delay)
    if outcome is Outcome.UNKNOWN:
        return Decision(
            Step.NEXT_CHANNEL,
            f"{result.channel} outcome unknown, not repeated (no idempotency key): {result.detail}",
            transient=True,
        )
    return Decision(Step.NEXT_CHANNEL, f"{result.channel} {outcome.value}: {result.detail}")
