"""Group commit: concurrent submits share batches, each caller gets its own result."""

from __future__ import annotations

import asyncio

import pytest

from libs.common.group_commit import GroupCommit


async def test_concurrent_submits_share_batches_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(write, max_items=4, max_inflight=1)
    results = await asyncio.gather(*(group.submit(i) for i in range(10)))
    assert results == [i * 10 for i in range(10)]
    assert all(len(batch) <= 4 for batch in batches)
    assert len(batches) == 3  # 4 + 4 + 2, not 10 round trips
    assert sorted(i for batch in batches for i in batch) == list(range(10))


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_runs() -> None:
    calls = 0

    async def write(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database gone")
        return items

    group: GroupCommit[str, str] = GroupCommit(write)
    outcomes = await asyncio.gather(group.submit("a"), group.submit("b"), return_exceptions=True)
    assert [type(o) for o in outcomes] == [ConnectionError, ConnectionError]
    assert await group.submit("c") == "c"


async def test_a_cancelled_caller_does_not_cancel_the_batch() -> None:
    release = asyncio.Event()

    async def write(items: list[int]) -> list[int]:
        await release.wait()
        return items

    group: GroupCommit[int, int] = GroupCommit(write)
    first = asyncio.create_task(group.submit(1))
    second = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 2
    with pytest.raises(asyncio.CancelledError):
        await first
    await group.drain()
