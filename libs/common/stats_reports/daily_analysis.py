"""Advanced reports (R-ST-3) per UTC day, whatever grain the range is read at: follower growth,
command popularity and mass-send reach."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.stats_reports.rollups import Report, ReportQuery, daily_counts, grain_for


async def follower_growth(session: AsyncSession, query: ReportQuery) -> Report:
    """Follows and unfollows per day and account; follows by the QR scene they came through
    (``""``: no scene), unfollows (which carry no scene) under ``""``."""
    grouped = await daily_counts(
        session,
        query,
        "follower_growth",
        ("account", "kind", "reason"),
        lambda t: and_(
            t.c.event == "inbound.handled",
            t.c.kind.in_(("event.subscribe", "event.unsubscribe")),
        ),
    )
    counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for row in grouped:
        subscribed = row["kind"] == "event.subscribe"
        key = (row["day"], row["account"], row["reason"] if subscribed else "")
        column = "subscribed" if subscribed else "unsubscribed"
        counts[key][column] = counts[key].get(column, 0) + row["count"]
    rows = []
    for (day, account, scene), values in sorted(counts.items()):
        subscribed, unsubscribed = values.get("subscribed", 0), values.get("unsubscribed", 0)
        rows.append(
            {
                "day": day,
                "account": account,
                "scene": scene,
                "subscribed": subscribed,
                "unsubscribed": unsubscribed,
                "net": subscribed - unsubscribed,
            }
        )
    columns = ("day", "account", "scene", "subscribed", "unsubscribed", "net")
    return Report("follower_growth", grain_for(query.since, query.until), columns, rows)


async def commands(session: AsyncSession, query: ReportQuery) -> Report:
    """How often each configured command answered, per day and account."""
    grouped = await daily_counts(
        session,
        query,
        "commands",
        ("account", "reason"),
        lambda t: and_(
            t.c.event == "inbound.handled", t.c.kind.in_(("text", "voice")), t.c.reason != ""
        ),
    )
    rows = [
        {"day": r["day"], "account": r["account"], "command": r["reason"], "count": r["count"]}
        for r in grouped
    ]
    columns = ("day", "account", "command", "count")
    return Report("commands", grain_for(query.since, query.until), columns, rows)


async def mass_reach(session: AsyncSession, query: ReportQuery) -> Report:
    """Mass sends' reach per day and account as WeChat reported it (MASSSENDJOBFINISH): jobs
    reported, and their total, after-filter, sent and error counts."""
    grouped = await daily_counts(
        session,
        query,
        "mass_reach",
        ("event", "outcome"),
        lambda t: or_(
            t.c.event == "mass.reach",
            and_(t.c.event == "wechat.job_finished", t.c.kind == "mass"),
        ),
    )
    names = {"total": "total", "filter": "filtered", "sent": "sent", "error": "errors"}
    columns = ("day", "account", "jobs", *names.values())
    counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for row in grouped:
        key = (row["day"], row["account"])
        column = "jobs" if row["event"] == "wechat.job_finished" else names[row["outcome"]]
        counts[key][column] = counts[key].get(column, 0) + row["count"]
    rows = [
        {"day": day, "account": account, **{c: values.get(c, 0) for c in columns[2:]}}
        for (day, account), values in sorted(counts.items())
    ]
    return Report("mass_reach", grain_for(query.since, query.until), columns, rows)
