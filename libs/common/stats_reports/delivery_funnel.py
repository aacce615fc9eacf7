"""The delivery funnel (R-ST-2): accepted → sent → confirmed (or blocked, failed on WeChat) →
clicked, beside SMS fallbacks and failures."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.stats_reports.rollups import Report, ReportQuery, grouped_counts

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
    grouped = await grouped_counts(
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
