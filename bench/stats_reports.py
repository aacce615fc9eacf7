"""``python -m bench.stats_reports``: report latency over a year of events on PostgreSQL.

Stores ``--events`` events spread over the past year (20 accounts, inbound and delivery
outcomes, customer-service sessions of 30 agents in 3 groups, tracked-link clicks and
publication sends, through the stats event store so every rollup grain is filled as in production),
then times each report of :mod:`libs.common.stats_reports` over the whole year (day rollups),
one month (day rollups) and one day in hours (hour rollups).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.servers import add_server_arguments
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.schemas._envelope import new_id
from libs.common.stats_reports import REPORTS, ReportQuery
from services.stats.store import EventStore
from services.stats.unpack import StoredEvent
from wxhub.scratch_db import fresh_postgres

STATUSES = ("delivered", "delivered", "delivered", "fallback_sent", "failed")


CS_EVENTS = ("cs.queued", "cs.assigned", "cs.first_response", "cs.closed", "cs.rated")


def _cs_event(rng: random.Random, at: datetime, account: str) -> StoredEvent:
    event = rng.choice(CS_EVENTS)
    payload: dict[str, Any] = {
        "account": account,
        "session_id": rng.randrange(1_000_000),
        "group": rng.choice(("default", "vip", "funds")),
        "agent_id": rng.randrange(1, 31),
        "wait_s": rng.expovariate(1 / 60),
        "first_response_s": rng.expovariate(1 / 30),
        "duration_s": rng.expovariate(1 / 600),
        "reason": rng.choice(("agent", "customer", "idle")),
        "rating": rng.randint(1, 5),
    }
    return StoredEvent(new_id(), at, event, account, payload)


def _click_or_send(rng: random.Random, at: datetime, account: str) -> StoredEvent:
    publication = rng.randrange(1, 200)
    if rng.random() < 0.3:
        payload: dict[str, Any] = {
            "account": account,
            "publication_id": publication,
            "channel": "wechat_mass",
            "status": "delivered",
            "recipients": rng.randrange(2, 5000),
        }
        return StoredEvent(new_id(), at, "publication.sent", account, payload)
    payload = {"account": account, "url": "https://fund.example.com/", "source": "short_link"}
    if rng.random() < 0.5:
        payload["publication_id"] = publication
    else:
        payload |= {"notification_id": new_id(), "event_type": "balance_change"}
    return StoredEvent(new_id(), at, "click", account, payload)


def _event(rng: random.Random, at: datetime) -> StoredEvent:
    account = f"acct{rng.randrange(20)}"
    draw = rng.random()
    if draw < 0.1:
        return _cs_event(rng, at, account)
    if draw < 0.15:
        return _click_or_send(rng, at, account)
    if rng.random() < 0.4:
        kind = rng.choice(("text", "event.CLICK", "image"))
        payload: dict[str, Any] = {"account": account, "kind": kind, "outcome": "answered"}
        return StoredEvent(new_id(), at, "inbound.handled", account, payload)
    status = rng.choice(STATUSES)
    accepted = at - timedelta(milliseconds=rng.expovariate(1 / 800))
    payload = {
        "account": account,
        "status": status,
        "channel": "sms" if status == "fallback_sent" else "wechat_template",
        "priority": rng.choice(("alert", "service", "marketing")),
        "reason": "not_following" if status != "delivered" else None,
        "errcode": 43004 if status != "delivered" else None,
        "accepted_at": accepted.isoformat(),
    }
    return StoredEvent(new_id(), at, f"delivery.{status}", account, payload)


async def main() -> None:
    """Fill a year, then time the reports."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    add_server_arguments(parser, amqp=False)
    args = parser.parse_args()
    database = await fresh_postgres(args.database_url, "benchreports")
    await upgrade_async(database)
    engine = make_engine(database, pool_size=4)
    sessions = make_sessionmaker(engine)
    store = EventStore(engine, sessions)
    rng = random.Random(7)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    year_start = today - timedelta(days=365)
    started = time.perf_counter()
    chunk = 2_000
    for offset in range(0, args.events, chunk):
        events = [
            _event(rng, year_start + timedelta(seconds=rng.uniform(0, 365 * 86_400)))
            for _ in range(min(chunk, args.events - offset))
        ]
        await store.store(events)
    print(f"stored {args.events} events over 365 days in {time.perf_counter() - started:.1f} s")
    async with engine.connect() as conn:
        for grain in ("minute", "hour", "day"):
            rows = await conn.exec_driver_sql(f"SELECT count(*) FROM stats_rollup_{grain}")
            print(f"stats_rollup_{grain}: {rows.scalar_one()} rows")
    ranges = {
        "year (day rollups)": (year_start, today),
        "month (day rollups)": (today - timedelta(days=30), today),
        "one day by hour (series)": (today - timedelta(days=1), today - timedelta(hours=0)),
    }
    print(f"{'report':<15} {'range':<26} {'rows':>6} {'ms':>8}")
    for label, (since, until) in ranges.items():
        series = "series" in label
        query = ReportQuery(since=since, until=until, accounts=None, series=series)
        for name, compute in REPORTS.items():
            async with sessions() as session:
                t0 = time.perf_counter()
                report = await compute(session, query)
                ms = (time.perf_counter() - t0) * 1000
            print(f"{name:<15} {label:<26} {len(report.rows):>6} {ms:>8.1f}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
