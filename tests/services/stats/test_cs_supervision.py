"""Customer-service supervision (R-ST-1) from the rollups: the ``cs.*`` events published on the
bus become wait, first-response and session-length histograms, session counts and ratings per
account, group and agent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from libs.common.bus import EVENTS, MemoryBus
from libs.common.cs.effects import ROUTING_KEYS
from libs.common.schemas.events import (
    CsAssigned,
    CsClosed,
    CsEvent,
    CsFirstResponse,
    CsQueued,
    CsRated,
    CsTransferred,
)
from libs.common.stats_reports import ReportQuery, cs_supervision
from services.stats.app import StatsService
from tests.polling import eventually
from tests.services.stats.events import T0

DAY = T0.replace(hour=0, minute=0, second=0)
_session_ids = iter(range(1, 1000))


def _base(account: str = "demo", group: str = "default") -> dict[str, Any]:
    return {
        "account": account,
        "session_id": next(_session_ids),
        "openid": "o1",
        "group": group,
        "queued_at": T0 - timedelta(minutes=5),
        "occurred_at": T0,
    }


def assigned(agent: int, wait_s: float, **fields: Any) -> CsAssigned:
    return CsAssigned(**_base(), agent_id=agent, assigned_at=T0, wait_s=wait_s, **fields)


def responded(agent: int, seconds: float) -> CsFirstResponse:
    return CsFirstResponse(
        **_base(), agent_id=agent, assigned_at=T0, responded_at=T0, first_response_s=seconds
    )


def closed(agent: int | None, reason: str, seconds: float) -> CsClosed:
    return CsClosed(
        **_base(), reason=reason, agent_id=agent, assigned_at=None, closed_at=T0, duration_s=seconds
    )


def rated(agent: int, rating: int) -> CsRated:
    return CsRated(**_base(), agent_id=agent, rating=rating, closed_at=T0, rated_at=T0)


SCRIPT: list[CsEvent] = [
    *(CsQueued(**_base(), position=n) for n in range(4)),
    CsQueued(**_base(), position=0, requeued=True),
    assigned(11, 3),
    assigned(11, 25),
    assigned(11, 100),
    assigned(12, 8),
    # After a transfer: a session for agent 12, but its wait_s includes agent 11's time.
    assigned(12, 500, reassigned=True),
    responded(11, 4),
    responded(11, 50),
    responded(12, 12),
    closed(11, "agent", 200),
    closed(11, "idle", 1000),
    closed(12, "customer", 70),
    closed(None, "left", 40),
    CsTransferred(**_base(), from_agent_id=11, to_agent_id=12, to_group="default"),
    rated(11, 5),
    rated(11, 4),
    rated(12, 2),
    # Another account's session: outside a scope of "demo" only.
    CsAssigned(**_base("bj", "vip"), agent_id=13, assigned_at=T0, wait_s=1),
]


async def _publish(bus: MemoryBus, events: list[CsEvent]) -> None:
    for event in events:
        key = ROUTING_KEYS[type(event)]
        await bus.publish(EVENTS, key, event.to_bytes(), message_id=event.message_id)


async def _rows(service: StatsService, query: ReportQuery, by: str) -> list[dict[str, Any]]:
    async with service.resources.sessions() as session:
        return (await cs_supervision(session, query, by=by)).rows


async def test_supervision_per_agent_group_and_account(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    # A redelivered event (same message id) counts once.
    await _publish(bus, [*SCRIPT, SCRIPT[5]])
    everything = ReportQuery(DAY, DAY + timedelta(days=1), accounts=None)

    async def all_assigned() -> list[dict[str, Any]]:
        rows = await _rows(service, everything, "cs_accounts")
        done = sum(r["assigned"] for r in rows) == 6 and sum(r["rated"] for r in rows) == 3
        return rows if done else []

    await eventually(all_assigned, what="every cs event stored")
    query = ReportQuery(DAY, DAY + timedelta(days=1), accounts=frozenset({"demo"}))
    agents = {r["agent"]: r for r in await _rows(service, query, "cs_agents")}
    assert set(agents) == {"", "11", "12"}
    queue = agents[""]
    assert (queue["group"], queue["queued"], queue["closed"], queue["abandoned"]) == (
        "default",
        4,
        1,
        1,
    )
    assert queue["wait_p50_s"] is None
    assert queue["close_reasons"] == "left=1"
    first = agents["11"]
    # Waits 3, 25, 100 s → buckets ≤ 5, ≤ 30, ≤ 120 s.
    assert (first["assigned"], first["wait_p50_s"], first["wait_p90_s"]) == (3, 30, 120)
    assert (first["first_response_p50_s"], first["first_response_p90_s"]) == (5, 60)
    assert (first["closed"], first["session_p50_s"], first["session_p90_s"]) == (2, 240, 1200)
    assert (first["transferred"], first["rated"], first["csat_avg"]) == (1, 2, 4.5)
    assert (first["rating_4"], first["rating_5"], first["rating_1"]) == (1, 1, 0)
    assert first["close_reasons"] == "agent=1; idle=1"
    second = agents["12"]
    # Two sessions, but only the first assignment's wait is a queue wait.
    assert (second["assigned"], second["wait_p50_s"], second["wait_p90_s"]) == (2, 10, 10)
    assert (second["session_p50_s"], second["csat_avg"], second["rating_2"]) == (90, 2.0, 1)

    [account] = await _rows(service, query, "cs_accounts")
    assert account["account"] == "demo"
    assert (account["queued"], account["assigned"], account["closed"]) == (4, 5, 4)
    # Waits 3, 8, 25, 100 s: the median in the ≤ 10 s bucket, p90 in the ≤ 120 s one.
    assert (account["wait_p50_s"], account["wait_p90_s"]) == (10, 120)
    assert (account["rated"], account["csat_avg"]) == (3, 3.67)

    groups = await _rows(service, everything, "cs_groups")
    assert [(r["account"], r["group"], r["assigned"]) for r in groups] == [
        ("bj", "vip", 1),
        ("demo", "default", 5),
    ]
    # Per day: the same figures in the day's bucket.
    daily = await _rows(
        service,
        ReportQuery(DAY, DAY + timedelta(days=2), accounts=frozenset({"demo"}), series=True),
        "cs_accounts",
    )
    assert [(r["bucket"].date(), r["assigned"]) for r in daily] == [(DAY.date(), 5)]
