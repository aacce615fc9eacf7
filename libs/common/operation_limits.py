"""Daily limits on customers' business operations (R-EN-10): the operations, their defaults,
and the day they count in.

Each follower may run each operation a limited number of times per day (Beijing time). The
platform default comes from ``WXHUB_OPERATION_DAILY_LIMITS``; an account may set its own caps
(``accounts.operation_limits``, through the admin API), operation by operation. The gateway
counts and refuses (``services/gateway/h5/limits.py``); the admin API checks the names here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

BIND_ATTEMPT = "bind_attempt"
CODE_SEND = "code_send"
APPLICATION = "application"

# Operation → how the refusal names it to the customer.
OPERATIONS: dict[str, str] = {
    BIND_ATTEMPT: "身份验证",
    CODE_SEND: "获取短信验证码",
    APPLICATION: "提交申请",
}
DEFAULT_DAILY_LIMITS: dict[str, int] = {BIND_ATTEMPT: 10, CODE_SEND: 10, APPLICATION: 3}
MAX_DAILY_LIMIT = 100_000

_BEIJING = timedelta(hours=8)


def counting_day(now: datetime | None = None) -> date:
    """The Beijing calendar day ``now`` falls on (customers' "today")."""
    return ((now or datetime.now(UTC)).astimezone(UTC) + _BEIJING).date()


def daily_limit(
    operation: str, defaults: Mapping[str, int], account_limits: Mapping[str, object] | None
) -> int:
    """The account's cap for ``operation`` when it set one, else the platform default."""
    override = (account_limits or {}).get(operation)
    if isinstance(override, int) and not isinstance(override, bool) and override > 0:
        return override
    return defaults.get(operation, DEFAULT_DAILY_LIMITS[operation])


def unknown_operations(limits: Mapping[str, object]) -> list[str]:
    """The names in ``limits`` that are not operations (sorted)."""
    return sorted(set(limits) - set(OPERATIONS))
