"""The engine's ``inbound.handled`` events carry what the advanced reports count: the configured
command that answered a text and the QR scene a follow came through."""

from __future__ import annotations

import itertools
import time
from typing import Any

from libs.common.bus import EVENTS, Delivery, Queue, Topology
from libs.common.schemas.events import InboundHandled, InboundHandledBatch
from tests.polling import eventually
from tests.services.support import InboundStack

_ids = itertools.count(7_600_000_000_000_000_000)


async def test_events_name_the_command_and_the_follow_scene(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(event_batch_interval_s=0.05)
    handled: list[InboundHandled] = []

    async def capture(delivery: Delivery) -> None:
        handled.extend(InboundHandledBatch.from_bytes(delivery.message.body).items)
        await delivery.ack()

    await stack.bus.declare(Topology(queues=[Queue("test.handled", [(EVENTS, "inbound.handled")])]))
    await stack.bus.consume("test.handled", capture)
    now = int(time.time())
    posts = [
        stack.pusher.text("oCmd", "基金 000001", msg_id=next(_ids)),
        # No configured command matches: the fallback answers, no command is named.
        stack.pusher.text("oCmd", "随便说说", msg_id=next(_ids)),
        stack.pusher.event(
            "oQr", "subscribe", create_time=now, EventKey="qrscene_branch_sh", Ticket="t1"
        ),
        stack.pusher.event("oPlain", "subscribe", create_time=now + 1),
    ]
    for xml in posts:
        assert (await stack.post(xml)).status_code == 200
    found = await eventually(lambda: handled if len(handled) == 4 else [], what="4 events")
    by_user = {(e.openid, e.kind): e for e in found}
    texts = [e for e in found if e.kind == "text"]
    assert sorted((e.answer, e.command) for e in texts) == [
        ("fund_nav", "fund_nav"),
        ("help", None),
    ]
    assert all(e.scene is None for e in texts)
    assert by_user["oQr", "event.subscribe"].scene == "branch_sh"
    assert by_user["oPlain", "event.subscribe"].scene is None
    assert by_user["oQr", "event.subscribe"].command is None
