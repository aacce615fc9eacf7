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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import (
    ROLLUP_TABLES,
    Account,
    AccountGrant,
    AdminUser,
    Org,
    Publication,
)

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


async def clicks(session: AsyncSession, query: ReportQuery) -> Report:
    """Clicks by account, source (``short_link`` | ``menu``) and target: a publication or
    notification (``publication:<id>``, ``notification:<id>``) or a menu button's URL."""
    grouped = await _grouped(
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


# The funnel's stages after acceptance, in order, and the statuses (or click) they count.
FUNNEL_STAGES = (
    "sent",
    "confirmed",
    "blocked",
    "failed_on_wechat",
    "clicked",
    "fallback_sent",
    "failed",
)
_STAGE_OF = {"delivered": "sent", "confirmed": "confirmed", "blocked": "blocked"}
_STAGE_OF |= {"failed_on_wechat": "failed_on_wechat", "fallback_sent": "fallback_sent"}
_STAGE_OF |= {"failed": "failed"}


async def funnel(session: AsyncSession, query: ReportQuery) -> Report:
    """The delivery funnel per account, event type, channel and errcode: accepted (reached an
    outcome) → sent (WeChat's API took it) → confirmed by WeChat's report (or blocked, failed on
    WeChat) → clicked, beside SMS fallbacks with their reasons and failures.

    Each row counts what happened on its channel: a notification that fell back is counted
    under ``sms`` (with the WeChat errcode behind it), so the rows of an account and event
    type add up to its funnel. ``accepted`` = sent + fallback_sent + failed.
    """
    grouped = await _grouped(
        session,
        query,
        "funnel",
        ("account", "kind", "channel", "errcode", "outcome", "reason"),
        lambda t: or_(
            and_(t.c.event.startswith("delivery."), t.c.outcome.in_(list(_STAGE_OF))),
            and_(t.c.event == "click", t.c.outcome == "short_link"),
        ),
    )
    keys = (
        ("bucket", "account", "kind", "channel", "errcode")
        if query.series
        else (
            "account",
            "kind",
            "channel",
            "errcode",
        )
    )
    stages: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    reasons: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for row in grouped.rows:
        key = tuple(row[k] for k in keys)
        stage = "clicked" if row["outcome"] == "short_link" else _STAGE_OF[row["outcome"]]
        stages[key][stage] = stages[key].get(stage, 0) + row["count"]
        if stage == "fallback_sent":
            reason = row["reason"] or "-"
            reasons[key][reason] = reasons[key].get(reason, 0) + row["count"]
    rows = []
    for key, counts in sorted(stages.items()):
        values = {stage: counts.get(stage, 0) for stage in FUNNEL_STAGES}
        accepted = values["sent"] + values["fallback_sent"] + values["failed"]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "accepted": accepted,
                **values,
                "fallback_reasons": "; ".join(f"{r}={n}" for r, n in sorted(reasons[key].items())),
            }
        )
    columns = (*keys, "accepted", *FUNNEL_STAGES, "fallback_reasons")
    renamed = tuple("event_type" if c == "kind" else c for c in columns)
    for row in rows:
        row["event_type"] = row.pop("kind")
    return Report("funnel", grouped.grain, renamed, rows)


# Advanced reports (R-ST-3): per UTC day whatever grain the range is read at.


async def follower_growth(session: AsyncSession, query: ReportQuery) -> Report:
    """Follows and unfollows per day and account; follows by the QR scene they came through
    (``""``: no scene), unfollows (which carry no scene) under ``""``."""
    grouped = await _daily(
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
    grouped = await _daily(
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
    grouped = await _daily(
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


# Customer-service supervision (R-ST-1). The rollups keep the agent in ``kind`` and the group
# in ``reason`` (see services/stats/rollup.py); durations are histogram buckets.

CS_LEVELS: dict[str, tuple[str, ...]] = {
    "cs_accounts": ("account",),
    "cs_groups": ("account", "group"),
    "cs_agents": ("account", "group", "agent"),
}
CS_COUNTS = ("queued", "assigned", "closed", "abandoned", "transferred")
CS_DURATIONS = ("wait", "first_response", "session")
CS_RATINGS = ("1", "2", "3", "4", "5")


async def cs_supervision(session: AsyncSession, query: ReportQuery, *, by: str) -> Report:
    """Customer-service supervision per account, group or agent (``by``: a key of
    :data:`CS_LEVELS`), per time bucket with ``series``.

    Counts: sessions queued (new requests), assigned to an agent (every assignment, so a
    transferred session counts for each agent: sessions per agent), closed, abandoned (closed
    with no agent: the follower left the queue), transferred away. Durations, p50 and p90 in
    seconds as the upper bound of their bucket (``None`` without data): queue wait of first
    assignments, first-response time, session length (request to close) of sessions an agent
    closed. Satisfaction: ratings given, their average (CSAT, 1–5) and distribution.

    Each fact counts in the bucket of the event that carries it: the wait on assignment, the
    length on close, the rating when given. Queue figures (queued, abandoned) have no agent:
    per agent they are on the row whose agent is ``""``.
    """
    levels = CS_LEVELS[by]
    grouped = await _grouped(
        session,
        query,
        by,
        ("event", "account", "kind", "outcome", "reason", "latency_le_ms"),
        lambda t: t.c.event.startswith("cs."),
    )
    names = {"account": "account", "group": "reason", "agent": "kind"}
    keys = (("bucket",) if query.series else ()) + levels
    facts: dict[tuple[Any, ...], _CsFacts] = defaultdict(_CsFacts)
    for row in grouped.rows:
        key = tuple(row["bucket"] if k == "bucket" else row[names[k]] for k in keys)
        facts[key].add(row)
    agent_names = await _agent_names(
        session, {k[-1] for k in facts} if "agent" in levels else set()
    )
    rows = []
    for key, fact in sorted(facts.items()):
        row = dict(zip(keys, key, strict=True))
        if "agent" in levels:
            row["agent_name"] = agent_names.get(str(row["agent"]), "")
        rows.append({**row, **fact.values()})
    extra = ("agent_name",) if "agent" in levels else ()
    columns = (*keys, *extra, *_CS_COLUMNS)
    return Report(by, grouped.grain, columns, rows)


_CS_COLUMNS = (
    *CS_COUNTS,
    *(f"{d}_{p}_s" for d in CS_DURATIONS for p in ("p50", "p90")),
    "rated",
    "csat_avg",
    *(f"rating_{r}" for r in CS_RATINGS),
    "close_reasons",
)


class _CsFacts:
    """The rollup rows of one report row, folded into counts and histograms."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(CS_COUNTS, 0)
        self.durations: dict[str, dict[int, int]] = {d: defaultdict(int) for d in CS_DURATIONS}
        self.ratings = dict.fromkeys(CS_RATINGS, 0)
        self.reasons: dict[str, int] = defaultdict(int)

    def add(self, row: dict[str, Any]) -> None:
        event, agent, outcome, n = row["event"], row["kind"], row["outcome"], row["count"]
        bound = row["latency_le_ms"]
        if event == "cs.queued" and outcome != "requeued":
            self.counts["queued"] += n
        elif event == "cs.assigned":
            self.counts["assigned"] += n
            if outcome != "reassigned" and bound:
                self.durations["wait"][bound] += n
        elif event == "cs.first_response" and bound:
            self.durations["first_response"][bound] += n
        elif event == "cs.closed":
            self.counts["closed"] += n
            self.reasons[outcome or "-"] += n
            if not agent:
                self.counts["abandoned"] += n
            elif bound:
                self.durations["session"][bound] += n
        elif event == "cs.transferred":
            self.counts["transferred"] += n
        elif event == "cs.rated" and outcome in self.ratings:
            self.ratings[outcome] += n

    def values(self) -> dict[str, Any]:
        rated = sum(self.ratings.values())
        stars = sum(int(r) * n for r, n in self.ratings.items())
        values: dict[str, Any] = dict(self.counts)
        for name, counts in self.durations.items():
            for label, q in (("p50", 0.5), ("p90", 0.9)):
                values[f"{name}_{label}_s"] = percentile(counts, q) // 1000 if counts else None
        values["rated"] = rated
        values["csat_avg"] = round(stars / rated, 2) if rated else None
        values |= {f"rating_{r}": n for r, n in self.ratings.items()}
        values["close_reasons"] = "; ".join(f"{r}={n}" for r, n in sorted(self.reasons.items()))
        return values


async def _agent_names(session: AsyncSession, agents: set[Any]) -> dict[str, str]:
    ids = {int(a) for a in agents if str(a).isdigit()}
    if not ids:
        return {}
    result = await session.execute(
        select(AdminUser.id, AdminUser.display_name, AdminUser.username).where(
            AdminUser.id.in_(ids)
        )
    )
    return {str(uid): display or username for uid, display, username in result}


async def click_through(session: AsyncSession, query: ReportQuery) -> Report:
    """Click-through per message type and per publication over the range (per time bucket with
    ``series``): tracked-link clicks divided by what was sent.

    Notifications (``message`` = ``notification``, ``target`` = its event type): ``sent`` is how
    many WeChat's API took, ``clicks`` every open of their tracked links, ``clicked`` how many
    notifications were opened at least once (``unique_ctr`` = clicked / sent). Publications
    (``message`` = ``publication``, ``target`` = ``publication:<id>``, with its ``title``):
    ``sent`` is the followers its sends reached (a mass send counts its recipients), ``clicks``
    every open of its links (shared by all recipients, so no unique count). ``ctr`` = clicks /
    sent; ``None`` while nothing was sent in the range.
    """
    grouped = await _grouped(
        session,
        query,
        "click_through",
        ("event", "account", "kind", "outcome", "reason"),
        lambda t: or_(
            and_(t.c.event == "click", t.c.outcome == "short_link"),
            and_(t.c.event.startswith("delivery."), t.c.outcome == "delivered"),
            and_(t.c.event == "publication.reach", t.c.outcome == "delivered"),
        ),
    )
    keys = (("bucket",) if query.series else ()) + ("account", "message", "target")
    sums: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    opened: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for row in grouped.rows:
        head = (row["bucket"],) if query.series else ()
        reason: str = row["reason"]
        if row["event"] == "click":
            message = reason.partition(":")[0]
            if message not in ("notification", "publication"):
                continue
            target = row["kind"] if message == "notification" else reason
            key = (*head, row["account"], message, target)
            sums[key]["clicks"] += row["count"]
            opened[key].add(reason)
        elif row["event"] == "publication.reach":
            key = (*head, row["account"], "publication", reason)
            sums[key]["sent"] += row["count"]
        else:
            key = (*head, row["account"], "notification", row["kind"])
            sums[key]["sent"] += row["count"]
    titles = await _publication_titles(session, {k[-1] for k in sums if k[-2] == "publication"})
    rows = []
    for key, values in sorted(sums.items()):
        sent, clicks = values.get("sent", 0), values.get("clicks", 0)
        notification = key[-2] == "notification"
        clicked = len(opened[key]) if notification else None
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "title": "" if notification else titles.get(key[-1], ""),
                "sent": sent,
                "clicks": clicks,
                "clicked": clicked,
                "ctr": round(clicks / sent, 4) if sent else None,
                "unique_ctr": round(clicked / sent, 4) if sent and clicked is not None else None,
            }
        )
    columns = (*keys, "title", "sent", "clicks", "clicked", "ctr", "unique_ctr")
    return Report("click_through", grouped.grain, columns, rows)


async def _publication_titles(session: AsyncSession, targets: set[str]) -> dict[str, str]:
    ids = {int(t.partition(":")[2]) for t in targets if t.partition(":")[2].isdigit()}
    if not ids:
        return {}
    result = await session.execute(
        select(Publication.id, Publication.title).where(Publication.id.in_(ids))
    )
    return {f"publication:{pid}": title for pid, title in result}


async def _daily(
    session: AsyncSession,
    query: ReportQuery,
    name: str,
    dims: Sequence[str],
    where: Callable[[Table], ColumnElement[bool]],
) -> list[dict[str, Any]]:
    """Rows of ``dims`` + account summed per UTC day (``day`` as an ISO date)."""
    dims = tuple(dims) if "account" in dims else ("account", *dims)
    grouped = await _grouped(session, replace(query, series=True), name, dims, where)
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
    "clicks": clicks,
    "funnel": funnel,
    "follower_growth": follower_growth,
    "commands": commands,
    "mass_reach": mass_reach,
    "click_through": click_through,
    **{name: partial(cs_supervision, by=name) for name in CS_LEVELS},
}
