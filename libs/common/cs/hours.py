"""Service hours per account: weekly opening times and holidays in the account's time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"


def _parse(value: str) -> time:
    if value in ("24:00", "24:00:00"):
        return time.max
    return time.fromisoformat(value)


def is_open(
    *, hours: Mapping[str, Any], holidays: Sequence[Any], timezone: str, at: datetime
) -> bool:
    """Whether people answer at ``at``: no hours configured means around the clock."""
    local = at.astimezone(ZoneInfo(timezone))
    if local.date().isoformat() in {str(day) for day in holidays}:
        return False
    if not hours:
        return True
    span = hours.get(str(local.isoweekday()))
    if not span:
        return False
    start, end = _parse(str(span[0])), _parse(str(span[1]))
    return start <= local.time().replace(tzinfo=None) < end


def describe(hours: Mapping[str, Any]) -> str:
    """The opening times for a customer, e.g. ``周一至周五 09:00-18:00``."""
    if not hours:
        return "全天"
    spans: list[tuple[list[int], str]] = []
    for day in range(1, 8):
        span = hours.get(str(day))
        if not span:
            continue
        text = f"{span[0]}-{span[1]}"
        if spans and spans[-1][1] == text and spans[-1][0][-1] == day - 1:
            spans[-1][0].append(day)
        else:
            spans.append(([day], text))
    parts = []
    for days, text in spans:
        first, last = WEEKDAYS[days[0] - 1], WEEKDAYS[days[-1] - 1]
        name = f"周{first}" if len(days) == 1 else f"周{first}至周{last}"
        parts.append(f"{name} {text}")
    return "，".join(parts)
