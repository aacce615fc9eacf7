"""Daily operation caps: the counting day and which cap applies."""

from __future__ import annotations

from datetime import UTC, date, datetime

from libs.common.operation_limits import (
    BIND_ATTEMPT,
    CODE_SEND,
    counting_day,
    daily_limit,
    unknown_operations,
)


def test_the_day_turns_at_beijing_midnight() -> None:
    assert counting_day(datetime(2025, 6, 30, 15, 59, tzinfo=UTC)) == date(2025, 6, 30)
    assert counting_day(datetime(2025, 6, 30, 16, 0, tzinfo=UTC)) == date(2025, 7, 1)


def test_an_account_cap_wins_over_the_default_for_its_operation_only() -> None:
    defaults = {BIND_ATTEMPT: 10, CODE_SEND: 8}
    account = {CODE_SEND: 2}
    assert daily_limit(CODE_SEND, defaults, account) == 2
    assert daily_limit(BIND_ATTEMPT, defaults, account) == 10
    assert daily_limit(CODE_SEND, defaults, None) == 8
    # Nonsense stored by hand falls back to the default instead of disabling the cap.
    assert daily_limit(CODE_SEND, defaults, {CODE_SEND: "x"}) == 8
    assert daily_limit(CODE_SEND, defaults, {CODE_SEND: True}) == 8
    assert unknown_operations({CODE_SEND: 1, "fly": 2}) == ["fly"]
