"""Claims: one worker at a time owns a notification (lease and fencing token)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.dispatcher import repository
from tests.services.dispatcher.support import Harness, Sandboxes, start_harness, stop_harness

TEMPLATE = "/cgi-bin/message/template/send"


async def test_two_dispatchers_send_one_notification_once(
    harness: Harness, db_url: str, boxes: Sandboxes
) -> None:
    # A copy of the message reaches a second dispatcher while the first is still sending
    # (a sweeper republish, or a redelivery after a connection close).
    boxes.wx.faults.add({"path": TEMPLATE, "latency_ms": 600})
    twin = await start_harness(db_url, boxes)
    try:
        nid = await harness.notify()
        await asyncio.sleep(0.2)
        await twin.publish(nid)
        rows = await harness.wait_terminal([nid])
        await asyncio.sleep(1.5)  # the twin looks again once the first worker finished
    finally:
        await stop_harness(twin)
    assert rows[nid].status == "delivered"
    assert len(boxes.wx.calls.find(TEMPLATE)) == 1
    assert (await harness.statuses([nid]))[nid].attempts == 1


async def test_a_run_longer_than_its_lease_keeps_it_by_renewal(
    db_url: str, boxes: Sandboxes
) -> None:
    # Sends take 3 s, the lease 1.5 s: only renewal (every 0.5 s) keeps the twin from taking
    # over. The margin is wide because a loaded CI machine can hold a loop (or SQLite's write
    # lock) for a good part of a second; production leases are 10 s.
    boxes.wx.faults.add({"path": TEMPLATE, "latency_ms": 3000})
    first = await start_harness(db_url, boxes, claim_lease_s=1.5)
    twin = await start_harness(db_url, boxes, claim_lease_s=1.5)
    try:
        nid = await first.notify()
        await asyncio.sleep(0.2)
        await twin.publish(nid)
        rows = await first.wait_terminal([nid])
        await asyncio.sleep(1.8)  # past the twin's lease wait: it looks again and finds it done
    finally:
        await stop_harness(twin)
        await stop_harness(first)
    assert rows[nid].status == "delivered"
    assert len(boxes.wx.calls.find(TEMPLATE)) == 1


async def test_expired_lease_is_taken_over_and_fences_the_old_finish(harness: Harness) -> None:
    nid = await harness.notify(publish=False)
    at = datetime.now(UTC)
    lease = timedelta(seconds=30)
    async with harness.resources.sessions.begin() as session:
        first = await repository.claim(session, notification_id=nid, now=at, lease=lease)
        held = await repository.claim(session, notification_id=nid, now=at, lease=lease)
        later = at + lease + timedelta(seconds=1)
        second = await repository.claim(session, notification_id=nid, now=later, lease=lease)
    assert first is not None
    assert held is None
    assert second is not None
    assert (first.attempts, second.attempts) == (1, 2)
    stale = repository.Finish(nid, "delivered", None, None, None, (), first.attempts)
    current = repository.Finish(nid, "failed", None, "x", None, (), second.attempts)
    async with harness.resources.sessions.begin() as session:
        assert await repository.finish_many(session, finishes=[stale], now=later) == set()
        assert await repository.finish_many(session, finishes=[current], now=later) == {nid}
