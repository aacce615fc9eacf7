"""Communication reports (R-ST-2): inbound and outbound volume, fallbacks, errors, delivery
latency and clicks, grouped by account and what each row is about."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.stats_reports.rollups import Report, ReportQuery, grouped_counts, percentile

OUTCOMES = ("delivered", "fallback_sent", "suppressed", "failed")


async def inbound(session: AsyncSession, query: ReportQuery) -> Report:
    """Answered callbacks by account and message type (and outcome)."""
    return await grouped_counts(
        session,
        query,
        "inbound",
        ("account", "kind", "outcome"),
        lambda t: t.c.event == "inbound.handled",
    )


async def outbound(session: AsyncSession, query: ReportQuery) -> Report:
    """Notification outcomes by account, channel, priority and outcome."""
    return await grouped_counts(
        session,
        query,
        "outbound",
        ("account", "channel", "priority", "outcome"),
        lambda t: and_(t.c.event.startswith("delivery."), t.c.outcome.in_(OUTCOMES)),
    )


async def fallbacks(session: AsyncSession, query: ReportQuery) -> Report:
    """SMS (and other) fallbacks by account, channel, reason and the WeChat errcode behind them."""
    return await grouped_counts(
        session,
        query,
        "fallbacks",
        ("account", "channel", "reason", "errcode"),
        lambda t: t.c.event == "delivery.fallback_sent",
    )


async def errors(session: AsyncSession, query: ReportQuery) -> Report:
    """Failures and fallbacks by account, outcome, errcode and reason."""
    return await grouped_counts(
        session,
        query,
        "errors",
        ("account", "outcome", "errcode", "reason"),
        lambda t: and_(
            t.c.event.startswith("delivery."), t.c.outcome.in_(("failed", "fallback_sent"))
        ),
    )


async def latency(session: AsyncSession, query: ReportQuery) -> Report:
    """Acceptance→outcome latency per account and outcome: count, p50 and p99 (bucket bounds)."""
    histogram = await grouped_counts(
        session,
        query,
        "latency",
        ("account", "outcome", "latency_le_ms"),
        lambda t: and_(t.c.event.startswith("delivery."), t.c.latency_le_ms > 0),
    )
    keys = ("bucket", "account", "outcome") if query.series else ("account", "outcome")
    buckets: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for row in histogram.rows:
        buckets[tuple(row[k] for k in keys)][row["latency_le_ms"]] = row["count"]
    rows = []
    for key, counts in sorted(buckets.items()):
        total = sum(counts.values())
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "count": total,
                "p50_ms": percentile(counts, 0.50),
                "p99_ms": percentile(counts, 0.99),
            }
        )
    return Report("latency", histogram.grain, (*keys, "count", "p50_ms", "p99_ms"), rows)


async def clicks(session: AsyncSession, query: ReportQuery) -> Report:
    """Clicks by account, source (``short_link`` | ``menu``) and target: a publication or
    notification (``publication:<id>``, ``notification:<id>``) or a menu button's URL."""
    grouped = await grouped_counts(
        session,
        query,
        "clicks",
        ("account", "outcome", "reason"),
        lambda t: t.c.event == "click",
    )
    names = {"outcome": "source", "reason": "target"}
    rows = [{names.get(k, k): v for k, v in row.items()} for row in grouped.rows]
    columns = tuple(names.get(c, c) for c in grouped.columns)
    return Report("clicks", grouped.grain, columns, rows)
