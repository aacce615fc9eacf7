"""The advanced reports (R-ST-3) from the rollups: follower growth by QR scene, command
popularity and mass-send reach, fed by events published on the bus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.bus import EVENTS, MemoryBus
from libs.common.schemas.events import InboundHandled, InboundHandledBatch, WeChatJobFinished
from libs.common.stats_reports import Report, ReportQuery, commands, follower_growth, mass_reach
from services.stats.app import StatsService
from tests.polling import eventually
from tests.services.stats.events import T0

DAY = T0.replace(hour=0, minute=0, second=0)
Compute = Callable[[AsyncSession, ReportQuery], Awaitable[Report]]


def _handled(
    kind: str, n: int, *, day: int = 0, account: str = "demo", **fields: object
) -> list[InboundHandled]:
    return [
        InboundHandled(
            account=account,
            kind=kind,
            openid=f"o{i}",
            answer="",
            outcome="replied",
            handle_ms=1.0,
            occurred_at=T0 + timedelta(days=day),
            **fields,
        )
        for i in range(n)
    ]


async def _publish_inbound(bus: MemoryBus, items: list[InboundHandled]) -> None:
    await bus.publish(EVENTS, "inbound.handled", InboundHandledBatch(items=items).to_bytes())


async def _report_when(
    service: StatsService, compute: Compute, query: ReportQuery, column: str, total: int
) -> list[dict[str, object]]:
    async def rows() -> list[dict[str, object]]:
        async with service.resources.sessions() as session:
            found = (await compute(session, query)).rows
        done = sum(int(str(r[column])) for r in found) == total
        return list(found) if done else []

    return await eventually(rows, what=f"{column} = {total}")


async def test_follower_growth_per_day_and_scene(stats: tuple[StatsService, MemoryBus]) -> None:
    service, bus = stats
    await _publish_inbound(
        bus,
        [
            *_handled("event.subscribe", 3, scene="branch_sh"),
            *_handled("event.subscribe", 2),
            *_handled("event.unsubscribe", 1),
            *_handled("event.subscribe", 1, day=1, scene="branch_sh"),
            *_handled("event.unsubscribe", 2, day=1),
            # Another account's follows are not in this account's report.
            *_handled("event.subscribe", 4, account="other", scene="branch_sh"),
            # Not a follow.
            *_handled("text", 5, command="余额"),
        ],
    )
    query = ReportQuery(DAY, DAY + timedelta(days=2), accounts=frozenset({"demo"}))
    rows = await _report_when(service, follower_growth, query, "subscribed", 6)
    day0, day1 = DAY.date().isoformat(), (DAY + timedelta(days=1)).date().isoformat()
    base = {"account": "demo"}
    assert rows == [
        {**base, "day": day0, "scene": "", "subscribed": 2, "unsubscribed": 1, "net": 1},
        {**base, "day": day0, "scene": "branch_sh", "subscribed": 3, "unsubscribed": 0, "net": 3},
        {**base, "day": day1, "scene": "", "subscribed": 0, "unsubscribed": 2, "net": -2},
        {**base, "day": day1, "scene": "branch_sh", "subscribed": 1, "unsubscribed": 0, "net": 1},
    ]
    # Read at the hour grain, the same days.
    hours = ReportQuery(DAY + timedelta(hours=1), DAY + timedelta(days=2), accounts=None)
    found = await _report_when(service, follower_growth, hours, "subscribed", 10)
    assert {(r["day"], r["account"], r["scene"]): r["subscribed"] for r in found} == {
        (day0, "demo", ""): 2,
        (day0, "demo", "branch_sh"): 3,
        (day0, "other", "branch_sh"): 4,
        (day1, "demo", ""): 0,
        (day1, "demo", "branch_sh"): 1,
    }


async def test_command_popularity_counts_configured_commands_only(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    await _publish_inbound(
        bus,
        [
            *_handled("text", 4, command="余额"),
            *_handled("voice", 1, command="余额"),
            *_handled("text", 2, command="净值"),
            *_handled("text", 1, day=1, command="净值"),
            # Fell through to the fallback answer: no command.
            *_handled("text", 3),
            # A follow's scene is not a command.
            *_handled("event.subscribe", 2, scene="qr1"),
        ],
    )
    query = ReportQuery(DAY, DAY + timedelta(days=2), accounts=None)
    rows = await _report_when(service, commands, query, "count", 8)
    day0, day1 = DAY.date().isoformat(), (DAY + timedelta(days=1)).date().isoformat()
    assert rows == [
        {"day": day0, "account": "demo", "command": "余额", "count": 5},
        {"day": day0, "account": "demo", "command": "净值", "count": 2},
        {"day": day1, "account": "demo", "command": "净值", "count": 1},
    ]
    # Outside the caller's scope: nothing.
    hidden = ReportQuery(DAY, DAY + timedelta(days=2), accounts=frozenset({"other"}))
    async with service.resources.sessions() as session:
        assert (await commands(session, hidden)).rows == []


async def test_mass_send_reach_sums_wechat_counts(stats: tuple[StatsService, MemoryBus]) -> None:
    service, bus = stats
    reports = [
        WeChatJobFinished(
            account="demo",
            openid="gh_demo",
            kind="mass",
            msgid=f"m{i}",
            status="send success",
            total_count=total,
            filter_count=total - 10,
            sent_count=total - 12,
            error_count=2,
            occurred_at=T0,
        )
        for i, total in enumerate((100, 50))
    ]
    # A template report is not a mass send.
    reports.append(
        WeChatJobFinished(
            account="demo",
            openid="o1",
            kind="template",
            msgid="t1",
            status="success",
            occurred_at=T0,
        )
    )
    for report in [*reports, reports[0]]:  # the redelivered report counts once
        await bus.publish(
            EVENTS, "wechat.job_finished", report.to_bytes(), message_id=report.message_id
        )
    query = ReportQuery(DAY, DAY + timedelta(days=1), accounts=None)
    rows = await _report_when(service, mass_reach, query, "jobs", 2)
    assert rows == [
        {
            "day": DAY.date().isoformat(),
            "account": "demo",
            "jobs": 2,
            "total": 150,
            "filtered": 130,
            "sent": 126,
            "errors": 4,
        }
    ]
