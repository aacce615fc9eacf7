"""Reading the stats rollups: the query and report shapes, the grain a range is read at, and
the grouped (or per-day) sums every report is built from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import ROLLUP_TABLES


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


async def grouped_counts(
    session: AsyncSession,
    query: ReportQuery,
    name: str,
    dims: Sequence[str],
    where: Callable[[Table], ColumnElement[bool]],
) -> Report:
    """Rollup counts summed per ``dims`` (first per bucket with ``series``) over the query's
    range and data scope."""
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


async def daily_counts(
    session: AsyncSession,
    query: ReportQuery,
    name: str,
    dims: Sequence[str],
    where: Callable[[Table], ColumnElement[bool]],
) -> list[dict[str, Any]]:
    """Rows of ``dims`` + account summed per UTC day (``day`` as an ISO date)."""
    dims = tuple(dims) if "account" in dims else ("account", *dims)
    grouped = await grouped_counts(session, replace(query, series=True), name, dims, where)
    sums: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in grouped.rows:
        day = row["bucket"].date().isoformat()
        sums[(day, *(row[d] for d in dims))] += row["count"]
    return [
        {"day": key[0], **dict(zip(dims, key[1:], strict=True)), "count": count}
        for key, count in sorted(sums.items())
    ]


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
