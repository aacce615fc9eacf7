"""The delivery funnel from the rollups: accepted → sent → confirmed → clicked per account,
event type, channel and errcode, with SMS fallbacks and their reasons."""

from __future__ import annotations

from datetime import timedelta

from libs.common.bus import EVENTS, MemoryBus
from libs.common.schemas.events import (
    DeliveryStatusChanged,
    DeliveryStatusChangedBatch,
    LinkClicked,
)
from libs.common.stats_reports import ReportQuery, funnel
from services.stats.app import StatsService
from tests.polling import eventually
from tests.services.stats.events import T0


def _changes(status: str, n: int, **fields: object) -> DeliveryStatusChangedBatch:
    values: dict[str, object] = {
        "account": "demo",
        "status": status,
        "event_type": "balance_change",
        "channel": "wechat_template",
        "occurred_at": T0,
        "accepted_at": T0 - timedelta(seconds=1),
        **fields,
    }
    return DeliveryStatusChangedBatch(
        items=[
            DeliveryStatusChanged.model_validate({"notification_id": f"{status}{i}", **values})
            for i in range(n)
        ]
    )


async def test_the_funnel_of_an_event_type_adds_up_per_channel(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    batches = [
        _changes("delivered", 5),
        _changes("confirmed", 3, previous="delivered"),
        _changes("blocked", 1, previous="delivered"),
        _changes("failed_on_wechat", 1, previous="delivered"),
        _changes("fallback_sent", 2, channel="sms", errcode=45015, reason_code="deadline"),
        _changes("fallback_sent", 1, channel="sms", errcode=45015, reason_code="recipient"),
        _changes("failed", 1, channel=None, reason_code="attempts_failed"),
        # Another event type is its own funnel.
        _changes("delivered", 2, event_type="fund_confirm"),
    ]
    for batch in batches:
        routing_key = f"delivery.{batch.items[0].status}"
        await bus.publish(EVENTS, routing_key, batch.to_bytes())
    clicks = [
        LinkClicked(
            account="demo",
            url="https://fund.example.com/d",
            source="short_link",
            notification_id=f"delivered{i}",
            event_type="balance_change",
            channel="wechat_template",
            occurred_at=T0,
        )
        for i in range(2)
    ]
    # A menu tap is a click, but of no notification: not in the funnel.
    clicks.append(LinkClicked(account="demo", url="https://m", source="menu", occurred_at=T0))
    for click in clicks:
        await bus.publish(EVENTS, "click", click.to_bytes())

    day = T0.replace(hour=0, minute=0, second=0)
    query = ReportQuery(day, day + timedelta(days=1), accounts=None)

    async def rows() -> list[dict[str, object]]:
        async with service.resources.sessions() as session:
            found = (await funnel(session, query)).rows
        accepted = sum(int(str(r["accepted"])) for r in found)
        clicked = sum(int(str(r["clicked"])) for r in found)
        return found if (accepted, clicked) == (11, 2) else []

    found = await eventually(rows, what="the funnel")
    zero = dict.fromkeys(
        ["sent", "confirmed", "blocked", "failed_on_wechat", "clicked", "fallback_sent", "failed"],
        0,
    )
    key = ("account", "event_type", "channel", "errcode")
    assert {tuple(r[k] for k in key): r for r in found} == {
        ("demo", "balance_change", "", ""): {
            "account": "demo",
            "event_type": "balance_change",
            "channel": "",
            "errcode": "",
            "accepted": 1,
            **zero,
            "failed": 1,
            "fallback_reasons": "",
        },
        ("demo", "balance_change", "sms", "45015"): {
            "account": "demo",
            "event_type": "balance_change",
            "channel": "sms",
            "errcode": "45015",
            "accepted": 3,
            **zero,
            "fallback_sent": 3,
            "fallback_reasons": "deadline=2; recipient=1",
        },
        ("demo", "balance_change", "wechat_template", ""): {
            "account": "demo",
            "event_type": "balance_change",
            "channel": "wechat_template",
            "errcode": "",
            "accepted": 5,
            **zero,
            "sent": 5,
            "confirmed": 3,
            "blocked": 1,
            "failed_on_wechat": 1,
            "clicked": 2,
            "fallback_reasons": "",
        },
        ("demo", "fund_confirm", "wechat_template", ""): {
            "account": "demo",
            "event_type": "fund_confirm",
            "channel": "wechat_template",
            "errcode": "",
            "accepted": 2,
            **zero,
            "sent": 2,
            "fallback_reasons": "",
        },
    }
