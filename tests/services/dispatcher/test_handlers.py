"""The bus edge: alerts are never delayed by a bulk flood (R-OUT-3); interactions open windows."""

from __future__ import annotations

import asyncio

from libs.common.bus import EVENTS
from libs.common.db.models import ServiceWindow
from libs.common.schemas.events import InboundHandled
from tests.polling import eventually
from tests.services.dispatcher.support import (
    OPENID,
    Harness,
    Sandboxes,
    start_harness,
    stop_harness,
)


async def test_bulk_flood_does_not_delay_alerts(db_url: str, boxes: Sandboxes) -> None:
    # Every WeChat call takes 50 ms; bulk may run 4 at a time, so 1,000 bulk take ≥ 12.5 s.
    harness = await start_harness(db_url, boxes, bulk_concurrency=4, alert_concurrency=32)
    try:
        boxes.wx.faults.add({"path": "/cgi-bin/message/template/send", "latency_ms": 50})
        bulk = [await harness.notify(priority="bulk", publish=False) for _ in range(1000)]
        for nid in bulk:
            await harness.publish(nid, priority="bulk")
        # The bulk consumer is busy before the alerts arrive.
        await eventually(
            lambda: len(boxes.wx.calls.find("/cgi-bin/message/template/send")) >= 4,
            what="bulk sending",
        )
        alerts = [await harness.notify(priority="alert") for _ in range(20)]
        await harness.wait_terminal(alerts)
        bulk_rows = await harness.statuses(bulk)
        bulk_done = sum(1 for row in bulk_rows.values() if row.status == "delivered")
        # Behind the bulk backlog the alerts would finish after all 1,000 (≥ 12.5 s at 80/s);
        # beside it they finish while most of the bulk still waits, however busy the machine.
        assert bulk_done < 700, bulk_done
    finally:
        await stop_harness(harness)


async def test_interactions_open_message_and_event_windows(harness: Harness) -> None:
    bus = harness.resources.bus
    tap = InboundHandled(
        account="demo", kind="event.click", openid="o-tap", answer="", outcome="ok", handle_ms=1
    )
    text = InboundHandled(
        account="demo", kind="text", openid=OPENID, answer="", outcome="ok", handle_ms=1
    )
    view = InboundHandled(
        account="demo", kind="event.view", openid="o-view", answer="", outcome="ok", handle_ms=1
    )
    for event in (view, tap, text):
        await bus.publish(EVENTS, "inbound.handled", event.to_bytes())
    await eventually(
        lambda: _windows_for(harness, {"o-tap", OPENID}), what="windows of the tap and the text"
    )
    await asyncio.sleep(0.1)  # the view came first; give a wrongly opened window time to show
    windows = await harness.windows()
    assert set(windows) == {"o-tap", OPENID}
    assert (windows["o-tap"].kind, windows["o-tap"].quota) == ("event", 3)
    assert (windows[OPENID].kind, windows[OPENID].quota) == ("message", 5)
    assert (windows[OPENID].expires_at - windows[OPENID].opened_at).total_seconds() == 48 * 3600
    # A later menu tap does not shorten the open 48-hour message window.
    tap2 = InboundHandled(
        account="demo", kind="event.click", openid=OPENID, answer="", outcome="ok", handle_ms=1
    )
    await bus.publish(EVENTS, "inbound.handled", tap2.to_bytes())
    await asyncio.sleep(0.2)
    async with harness.resources.sessions() as session:
        window = await session.get(ServiceWindow, (harness.account_id, OPENID))
    assert window is not None
    assert window.kind == "message"


async def test_batched_interactions_from_the_engine_open_windows(harness: Harness) -> None:
    from libs.common.schemas.events import InboundHandledBatch

    batch = InboundHandledBatch(
        items=[
            InboundHandled(
                account="demo", kind="text", openid=o, answer="", outcome="ok", handle_ms=1
            )
            for o in ("o-b1", "o-b2", "o-b1")
        ]
    )
    await harness.resources.bus.publish(EVENTS, "inbound.handled", batch.to_bytes())
    windows = await eventually(lambda: _windows_for(harness, {"o-b1", "o-b2"}))
    assert windows is not None
    assert {openid: w.kind for openid, w in windows.items()} == {
        "o-b1": "message",
        "o-b2": "message",
    }


async def _windows_for(harness: Harness, openids: set[str]) -> dict[str, ServiceWindow] | None:
    """The open windows once every one of ``openids`` has one."""
    windows = await harness.windows()
    return windows if openids <= set(windows) else None
