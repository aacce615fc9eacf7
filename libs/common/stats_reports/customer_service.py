"""Customer-service supervision (R-ST-1) per account, group or agent: session counts, wait,
first-response and session-length percentiles, and satisfaction ratings."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AdminUser
from libs.common.stats_reports.rollups import Report, ReportQuery, grouped_counts, percentile

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
    grouped = await grouped_counts(
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
