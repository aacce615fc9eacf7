"""Customer-service supervision (R-ST-1), communication (R-ST-2) and advanced (R-ST-3) reports,
answered from the stats rollups only, never from raw events.

A report is a grouping of rollup counts over ``[since, until)``. The grain read is the coarsest
whose buckets fit the range exactly (whole UTC days → the day table, whole hours → the hour
table, else minutes), so a year costs 365 buckets, not half a million minutes. The minute
table is kept only for days (``WXHUB_STATS_MINUTE_RETENTION_DAYS``): ask older ranges in whole
hours or days.

Latency percentiles come from histogram buckets (``LATENCY_BOUNDS_MS``): ``p50_ms`` is "at most
this many ms", the upper bound of the bucket the percentile falls in.

Data scope: ``accounts`` is the set of account codes the caller may see (``None``: all).

One module per kind of report, all read through this one face (``REPORTS`` names them all):

- ``rollups``: the query and report shapes, the grain, the grouped and per-day sums;
- ``scope``: the account codes a caller or an organisation filter may see;
- ``communication``: inbound, outbound, fallbacks, errors, latency, clicks;
- ``delivery_funnel``: the funnel; ``click_through_rates``: click-through;
- ``daily_analysis``: follower growth, commands, mass-send reach;
- ``customer_service``: the customer-service supervision reports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.stats_reports.click_through_rates import click_through
from libs.common.stats_reports.communication import (
    OUTCOMES,
    clicks,
    errors,
    fallbacks,
    inbound,
    latency,
    outbound,
)
from libs.common.stats_reports.customer_service import (
    CS_COUNTS,
    CS_DURATIONS,
    CS_LEVELS,
    CS_RATINGS,
    cs_supervision,
)
from libs.common.stats_reports.daily_analysis import commands, follower_growth, mass_reach
from libs.common.stats_reports.delivery_funnel import FUNNEL_STAGES, funnel
from libs.common.stats_reports.rollups import Report, ReportQuery, grain_for, percentile
from libs.common.stats_reports.scope import account_codes, org_account_codes

REPORTS: dict[str, Callable[[AsyncSession, ReportQuery], Awaitable[Report]]] = {
    "inbound": inbound,
    "outbound": outbound,
    "fallbacks": fallbacks,
    "errors": errors,
    "latency": latency,
    "clicks": clicks,
    "funnel": funnel,
    "follower_growth": follower_growth,
    "commands": commands,
    "mass_reach": mass_reach,
    "click_through": click_through,
    **{name: partial(cs_supervision, by=name) for name in CS_LEVELS},
}

__all__ = [
    "CS_COUNTS",
    "CS_DURATIONS",
    "CS_LEVELS",
    "CS_RATINGS",
    "FUNNEL_STAGES",
    "OUTCOMES",
    "REPORTS",
    "Report",
    "ReportQuery",
    "account_codes",
    "click_through",
    "clicks",
    "commands",
    "cs_supervision",
    "errors",
    "fallbacks",
    "follower_growth",
    "funnel",
    "grain_for",
    "inbound",
    "latency",
    "mass_reach",
    "org_account_codes",
    "outbound",
    "percentile",
]
