"""The shared periodic loop: runs on a rate, survives failures, wakes early, stops cleanly."""

from __future__ import annotations

import asyncio

from libs.common.periodic import Periodic


async def test_runs_every_interval_and_first_run_waits_one_interval() -> None:
    runs: list[float] = []
    loop = asyncio.get_running_loop()

    async def action() -> None:
        runs.append(loop.time())

    started = loop.time()
    periodic = Periodic(action, interval_s=0.05, name="test")
    await periodic.start()
    await asyncio.sleep(0.23)
    await periodic.stop()
    assert 3 <= len(runs) <= 5
    assert runs[0] - started >= 0.045
    assert not periodic.running


async def test_a_failing_run_is_retried_next_tick() -> None:
    calls = 0

    async def action() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database gone")

    periodic = Periodic(action, interval_s=0.01, name="test", run_at_start=True)
    await periodic.start()
    for _ in range(100):
        if calls >= 3:
            break
        await asyncio.sleep(0.01)
    assert calls >= 3
    assert periodic.running
    await periodic.stop()


async def test_wake_runs_before_the_interval() -> None:
    ran = asyncio.Event()

    async def action() -> None:
        ran.set()

    periodic = Periodic(action, interval_s=60, name="test")
    await periodic.start()
    periodic.wake()
    await asyncio.wait_for(ran.wait(), timeout=1)
    await periodic.stop()


async def test_stop_ends_the_loop_and_start_again_resumes_it() -> None:
    calls = 0

    async def action() -> None:
        nonlocal calls
        calls += 1

    periodic = Periodic(action, interval_s=0.01, name="test", run_at_start=True)
    await periodic.start()
    await asyncio.sleep(0.05)
    await periodic.stop()
    after_stop = calls
    await asyncio.sleep(0.05)
    assert calls == after_stop
    await periodic.start()
    await asyncio.sleep(0.03)
    assert calls > after_stop
    await periodic.stop()
