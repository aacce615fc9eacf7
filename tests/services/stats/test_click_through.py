"""Click-through (R-ST-3) from the rollups: tracked-link clicks over the notifications sent (per
event type) and over the followers a publication reached."""

from __future__ import annotations

from datetime import timedelta

from libs.common.bus import EVENTS, MemoryBus
from libs.common.schemas.events import (
    DeliveryStatusChanged,
    DeliveryStatusChangedBatch,
    LinkClicked,
    PublicationSent,
)
from libs.common.stats_reports import ReportQuery, click_through
from services.stats.app import StatsService
from tests.polling import eventually
from tests.services.stats.events import T0

DAY = T0.replace(hour=0, minute=0, second=0)


def _click(**fields: object) -> LinkClicked:
    return LinkClicked.model_validate(
        {"account": "demo", "url": "https://fund.example.com/", "source": "short_link"}
        | {"occurred_at": T0 + timedelta(minutes=5), **fields}
    )


def _sent(publication: int, channel: str, status: str, recipients: int) -> PublicationSent:
    return PublicationSent(
        account="demo",
        publication_id=publication,
        notification_id=f"pub{publication}-{channel}-{status}-{recipients}",
        channel=channel,
        status=status,
        recipients=recipients,
        occurred_at=T0,
    )


async def test_click_through_per_event_type_and_publication(
    stats: tuple[StatsService, MemoryBus],
) -> None:
    service, bus = stats
    delivered = DeliveryStatusChangedBatch(
        items=[
            DeliveryStatusChanged(
                notification_id=f"n{i}",
                account="demo",
                status="delivered",
                channel="wechat_template",
                event_type="balance_change",
                occurred_at=T0,
            )
            for i in range(4)
        ]
    )
    await bus.publish(EVENTS, "delivery.delivered", delivered.to_bytes())
    sends = [
        _sent(7, "wechat_mass", "delivered", 50),
        _sent(7, "wechat_custom", "delivered", 1),
        # Not reached: not in the denominator.
        _sent(7, "wechat_custom", "failed", 1),
    ]
    clicks = [
        # n0 opened twice, n1 once: 3 clicks, 2 notifications clicked.
        *(_click(notification_id="n0", event_type="balance_change") for _ in range(2)),
        _click(notification_id="n1", event_type="balance_change"),
        *(_click(publication_id=7) for _ in range(3)),
        # A menu button is a click, but of no message.
        _click(source="menu", menu_id="m1"),
    ]
    for key, event in [*(("publication.sent", s) for s in sends), *(("click", c) for c in clicks)]:
        await bus.publish(EVENTS, key, event.to_bytes(), message_id=event.message_id)
    # Redelivered: counts once.
    await bus.publish(
        EVENTS, "publication.sent", sends[0].to_bytes(), message_id=sends[0].message_id
    )

    query = ReportQuery(DAY, DAY + timedelta(days=1), accounts=frozenset({"demo"}))

    async def report() -> list[dict[str, object]]:
        async with service.resources.sessions() as session:
            rows = (await click_through(session, query)).rows
        done = sum(int(str(r["clicks"])) for r in rows) == 6 and len(rows) == 2
        return rows if done else []

    rows = await eventually(report, what="clicks and sends in the rollups")
    assert rows == [
        {
            "account": "demo",
            "message": "notification",
            "target": "balance_change",
            "title": "",
            "sent": 4,
            "clicks": 3,
            "clicked": 2,
            "ctr": 0.75,
            "unique_ctr": 0.5,
        },
        {
            "account": "demo",
            "message": "publication",
            "target": "publication:7",
            "title": "",
            "sent": 51,
            "clicks": 3,
            "clicked": None,
            "ctr": round(3 / 51, 4),
            "unique_ctr": None,
        },
    ]
    hidden = ReportQuery(DAY, DAY + timedelta(days=1), accounts=frozenset({"other"}))
    async with service.resources.sessions() as session:
        assert (await click_through(session, hidden)).rows == []
