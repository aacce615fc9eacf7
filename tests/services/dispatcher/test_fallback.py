"""Decisions after a send attempt (docs/wechat-protocol.md §9, R-PERF-6)."""

from __future__ import annotations

import random

import pytest

from services.dispatcher.channels.base import Outcome, SendResult
from services.dispatcher.fallback import Reason, RetryPolicy, Step, decide

POLICY = RetryPolicy(max_attempts=3, base_s=0.2, max_s=5.0, throttle_s=10.0)


def result(
    outcome: Outcome, errcode: int | None = None, channel: str = "wechat_template"
) -> SendResult:
    return SendResult(outcome, channel, f"{errcode} test", errcode=errcode)


def test_sent_is_done() -> None:
    assert decide(result(Outcome.SENT), attempt=1, policy=POLICY, time_left_s=30).step is Step.DONE


def test_recipient_verdict_falls_back_now_and_is_not_transient() -> None:
    decision = decide(result(Outcome.RECIPIENT, 43004), attempt=1, policy=POLICY, time_left_s=30)
    assert decision.step is Step.FALLBACK
    assert not decision.transient
    assert "43004" in decision.reason


@pytest.mark.parametrize("outcome", [Outcome.NEXT_CHANNEL, Outcome.QUOTA, Outcome.ERROR])
def test_channel_refusals_move_to_the_next_channel(outcome: Outcome) -> None:
    decision = decide(result(outcome, 45009), attempt=1, policy=POLICY, time_left_s=30)
    assert decision.step is Step.NEXT_CHANNEL
    assert not decision.transient


def test_retry_backs_off_exponentially_with_jitter() -> None:
    rng = random.Random(1)
    delays = [
        decide(result(Outcome.RETRY, -1), attempt=a, policy=POLICY, time_left_s=30, rng=rng)
        for a in (1, 2)
    ]
    assert [d.step for d in delays] == [Step.RETRY, Step.RETRY]
    assert 0.1 <= delays[0].delay_s <= 0.2  # half of 0.2 fixed, half random
    assert 0.2 <= delays[1].delay_s <= 0.4


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(max_attempts=20, base_s=0.2, max_s=1.0)
    assert all(policy.backoff(attempt) <= 1.0 for attempt in range(1, 20))


def test_last_attempt_gives_up_transiently() -> None:
    decision = decide(result(Outcome.RETRY, -1), attempt=3, policy=POLICY, time_left_s=30)
    assert decision.step is Step.NEXT_CHANNEL
    assert decision.transient
    assert "3 attempts" in decision.reason


def test_retry_beyond_the_deadline_is_not_attempted() -> None:
    decision = decide(result(Outcome.RETRY, -1), attempt=1, policy=POLICY, time_left_s=0.05)
    assert decision.step is Step.NEXT_CHANNEL
    assert "deadline" in decision.reason


def test_throttle_waits_the_throttle_delay_if_the_deadline_allows() -> None:
    long = decide(result(Outcome.THROTTLED, 45011), attempt=1, policy=POLICY, time_left_s=60)
    assert (long.step, long.delay_s) == (Step.RETRY, 10.0)
    short = decide(result(Outcome.THROTTLED, 45011), attempt=1, policy=POLICY, time_left_s=5)
    assert short.step is Step.NEXT_CHANNEL


def test_fallback_channel_without_deadline_retries_until_attempts_run_out() -> None:
    decision = decide(
        result(Outcome.RETRY, channel="sms"), attempt=2, policy=POLICY, time_left_s=None
    )
    assert decision.step is Step.RETRY


def test_unknown_outcome_is_never_repeated() -> None:
    decision = decide(
        result(Outcome.UNKNOWN, -1, "wechat_custom"), attempt=1, policy=POLICY, time_left_s=30
    )
    assert decision.step is Step.NEXT_CHANNEL
    assert decision.transient


@pytest.mark.parametrize(
    ("outcome", "attempt", "code"),
    [
        (Outcome.SENT, 1, Reason.SENT),
        (Outcome.RECIPIENT, 1, Reason.RECIPIENT),
        (Outcome.RETRY, 1, Reason.RETRYING),
        (Outcome.RETRY, 3, Reason.ATTEMPTS_FAILED),
        (Outcome.UNKNOWN, 1, Reason.OUTCOME_UNKNOWN),
        (Outcome.QUOTA, 1, Reason.CHANNEL_REFUSED),
    ],
)
def test_every_decision_carries_a_reason_code_and_its_result(
    outcome: Outcome, attempt: int, code: Reason
) -> None:
    sent = result(outcome, 45009)
    decision = decide(sent, attempt=attempt, policy=POLICY, time_left_s=30)
    assert decision.code is code
    assert decision.result is sent


def test_a_retry_past_the_delay_budget_is_coded_deadline() -> None:
    decision = decide(result(Outcome.THROTTLED, 45011), attempt=1, policy=POLICY, time_left_s=1)
    assert (decision.step, decision.code) == (Step.NEXT_CHANNEL, Reason.DEADLINE)
