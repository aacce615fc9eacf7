"""Custom sends: late replies and publications go out at most once, never by SMS."""

from __future__ import annotations

import asyncio

from tests.polling import eventually
from tests.services.dispatcher.support import (
    OPENID,
    Harness,
    Sandboxes,
    start_harness,
    stop_harness,
)


async def test_late_reply_goes_out_as_custom_message_without_sms(harness: Harness) -> None:
    from libs.common.bus import OUTBOUND
    from libs.common.schemas.outbound import OutboundRequested

    late = OutboundRequested(
        message_id="late:abc",
        account="demo",
        openid=OPENID,
        origin="late_reply",
        custom_message={"msgtype": "text", "text": {"content": "迟到的回答"}},
    )
    for _ in range(2):  # a redelivery is not sent twice
        await harness.resources.bus.publish(
            OUTBOUND, "alert.wechat", late.to_bytes(), message_id=late.message_id
        )
    await eventually(lambda: [d for d in harness.boxes.wx.deliveries if d.kind == "custom"])
    await asyncio.sleep(0.3)  # time for a wrong second send to show
    custom = [d for d in harness.boxes.wx.deliveries if d.kind == "custom"]
    assert [d.body["text"]["content"] for d in custom] == ["迟到的回答"]
    assert harness.boxes.sms.delivered == 0


async def test_late_reply_dedup_survives_a_restart(db_url: str, boxes: Sandboxes) -> None:
    from libs.common.bus import OUTBOUND
    from libs.common.schemas.outbound import OutboundRequested

    late = OutboundRequested(
        message_id="late:restart",
        account="demo",
        openid=OPENID,
        origin="late_reply",
        custom_message={"msgtype": "text", "text": {"content": "只发一次"}},
    )
    for _ in range(2):
        # A new dispatcher (empty memory) on the same database gets the redelivery.
        harness = await start_harness(db_url, boxes)
        try:
            await harness.resources.bus.publish(
                OUTBOUND, "alert.wechat", late.to_bytes(), message_id=late.message_id
            )
            await asyncio.sleep(0.4)
        finally:
            await stop_harness(harness)
    custom = [d for d in boxes.wx.deliveries if d.kind == "custom"]
    assert [d.body["text"]["content"] for d in custom] == ["只发一次"]


async def test_mass_publication_goes_out_once_through_the_mass_api(harness: Harness) -> None:
    from libs.common.bus import EVENTS, OUTBOUND, Delivery, Queue, Topology
    from libs.common.db.models import Notification
    from libs.common.schemas.events import PublicationSent
    from libs.common.schemas.outbound import OutboundRequested

    sent: list[PublicationSent] = []

    async def capture(delivery: Delivery) -> None:
        sent.append(PublicationSent.from_bytes(delivery.message.body))
        await delivery.ack()

    bus = harness.resources.bus
    await bus.declare(Topology(queues=[Queue("test.publications", [(EVENTS, "publication.*")])]))
    await bus.consume("test.publications", capture)
    mass = OutboundRequested(
        message_id="pub7m1",
        correlation_id="publication:7",
        account="demo",
        priority="bulk",
        origin="publication",
        custom_message={"msgtype": "text", "text": {"content": "本周净值播报"}},
        mass_openids=["oMass1", "oMass2", "oMass3"],
    )
    for _ in range(2):  # a redelivery does not start a second job
        await harness.resources.bus.publish(
            OUTBOUND, "bulk.wechat", mass.to_bytes(), message_id=mass.message_id
        )
    await eventually(
        lambda: [c for c in harness.boxes.wx.calls if c.path == "/cgi-bin/message/mass/send"]
    )
    await asyncio.sleep(0.3)  # time for a wrong second job to show
    calls = [c.body for c in harness.boxes.wx.calls if c.path == "/cgi-bin/message/mass/send"]
    assert len(calls) == 1
    assert calls[0]["touser"] == ["oMass1", "oMass2", "oMass3"]
    assert calls[0]["clientmsgid"] == "pub7m1"
    assert calls[0]["text"] == {"content": "本周净值播报"}
    async with harness.resources.sessions() as session:
        row = await session.get(Notification, "pub7m1")
    assert row is not None
    assert (row.status, row.channel) == ("delivered", "wechat_mass")
    assert row.wechat_msgid
    # Statistics learn the publication's reach from the send (once, like the send itself).
    assert [(e.publication_id, e.channel, e.status, e.recipients) for e in sent] == [
        (7, "wechat_mass", "delivered", 3)
    ]
