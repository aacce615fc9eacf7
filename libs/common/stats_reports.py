"""Communication reports (R-ST-2) answered from the stats rollups only, never from raw events.

A report is a grouping of rollup counts over ``[since, until)``. The grain read is the coarsest
whose buckets fit the range exactly (whole UTC days → the day table, whole hours → the hour
table, else minutes), so a year costs 365 buckets, not half a million minutes. The minute
table is kept only for days (``WXHUB_STATS_MINUTE_RETENTION_DAYS``): ask older ranges in whole
hours or days.

Latency percentiles come from histogram buckets (``LATENCY_BOUNDS_MS``): ``p50_ms`` is "at most
this many ms", the upper bound of the bucket the percentile falls in.

Data scope: ``accounts`` is the set of account codes the caller may see (``None``: all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import ROLLUP_TABLES, Account, AccountGrant, Org

OUTCOMES = ("delivered", "fallback_sent", "suppressed", "failed")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a caller asks: the range, an optional account, whether to split by time bucket."""

    since: datetime
    until: datetime
    accounts: frozenset[str] | None
    account: str | None = None
    series: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """Rows of one report (each a dict over ``columns``) and the grain it was read at."""

    name: str
    grain: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def grain_for(since: datetime, until: datetime) -> str:
    """The coarsest rollup grain whose buckets cover ``[since, until)`` exactly."""
    if _aligned(since, "day") and _aligned(until, "day"):
        return "day"
    if _aligned(since, "hour") and _aligned(until, "hour"):
        return "hour"
    return "minute"


def _aligned(at: datetime, grain: str) -> bool:
    if at.second or at.microsecond:
        return False
    if grain == "hour":
        return at.minute == 0
    return at.minute == 0 and at.hour == 0


async def account_codes(
    session: AsyncSession, account_ids: set[int] | None
) -> frozenset[str] | None:
    """The codes of the given accounts (rollups are keyed by code); ``None`` stays ``None``."""
    if account_ids is None:
        return None
    if not account_ids:
        return frozenset()
    codes = await session.scalars(select(Account.code).where(Account.id.in_(account_ids)))
    return frozenset(codes)


async def org_account_codes(session: AsyncSession, org_path: str) -> frozenset[str]:
    """Codes of the accounts owned by, or granted to, an organisation in the subtree at
    ``org_path`` (the organisation filter of the reports)."""
    subtree = select(Org.id).where(Org.path.startswith(org_path))
    owned = select(Account.id).where(Account.org_id.in_(subtree))
    granted = select(AccountGrant.account_id).where(AccountGrant.org_id.in_(subtree))
    codes = await session.scalars(select(Account.code).where(Account.id.in_(owned.union(granted))))
    return frozenset(codes)


async def inbound(session: AsyncSession, query: ReportQuery) -> Report:
    """Answered callbacks by account and message type (and outcome)."""
    return await _grouped(
        session,
        query,
        "inbound",
        ("account", "kind", "outcome"),
        lambda t: t.c.event == "inbound.handled",
    )


async def outbound(session: AsyncSession, query: ReportQuery) -> Report:
    """Notification outcomes by account, channel, priority and outcome."""
    return await _grouped(
        session,
        query,
        "outbound",
        ("account", "channel", "priority", "outcome"),
        lambda t: and_(t.c.event.startswith("delivery."), t.c.outcome.in_(OUTCOMES)),
    )


async def fallbacks(session: AsyncSession, query: ReportQuery) -> Report:
    """SMS (and other) fallbacks by account, channel, reason and the WeChat errcode behind them."""
    return await _grouped(
        session,
        query,
        "fallbacks",
        ("account", "channel", "reason", "errcode"),
        lambda t: t.c.event == "delivery.fallback_sent",
    )


async def errors(session: AsyncSession, query: ReportQuery) -> Report:
    """Failures and fallbacks by account, outcome, errcode and reason."""
    return await _grouped(
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
    histogram = await _grouped(
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


def percentile(counts: dict[int, int], q: float) -> int:
    """The upper bound of the histogram bucket holding the ``q`` quantile (0 when empty)."""
    total = sum(counts.values())
    if total == 0:
        return 0
    rank = q * total
    seen = 0
    for bound in sorted(counts):
        seen += counts[bound]
        if seen >= rank:
            return bound
    return max(counts)


async def _grouped(
    session: AsyncSession,
    query: ReportQuery,
    name: str,
    dims: Sequence[str],
    where: Callable[[Table], ColumnElement[bool]],
) -> Report:
    grain = grain_for(query.since, query.until)
    table: Table = ROLLUP_TABLES[grain]
    group = [table.c[d] for d in dims]
    if query.series:
        group.insert(0, table.c.bucket)
    conditions: list[ColumnElement[bool]] = [
        table.c.bucket >= query.since,
        table.c.bucket < query.until,
        where(table),
    ]
    if query.accounts is not None:
        conditions.append(table.c.account.in_(sorted(query.accounts)))
    if query.account is not None:
        conditions.append(table.c.account == query.account)
    statement = (
        select(*group, func.sum(table.c.count).label("count"))
        .where(*conditions)
        .group_by(*group)
        .order_by(*group)
    )
    result = await session.execute(statement)
    columns = (*(["bucket"] if query.series else []), *dims, "count")
    rows = [dict(zip(columns, row, strict=True)) for row in result]
    for row in rows:
        row["count"] = int(row["count"])
    return Report(name, grain, columns, rows)


REPORTS: dict[str, Callable[[AsyncSession, ReportQuery], Awaitable[Report]]] = {
    "inbound": inbound,
    "outbound": outbound,
    "fallbacks": fallbacks,
    "errors": errors,
    "latency": latency,
}
