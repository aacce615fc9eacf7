"""Click-through (R-ST-3): tracked-link clicks per notification type and per publication,
divided by what was sent."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Publication
from libs.common.stats_reports.rollups import Report, ReportQuery, grouped_counts


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
    grouped = await grouped_counts(
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
