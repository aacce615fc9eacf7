"""Waiting on conditions instead of sleeping: tests stay right on a busy machine.

A fixed sleep is either too short under load (the test fails) or too long when idle (the suite
crawls). Polling a condition with a generous deadline is neither: it returns as soon as the
condition holds, and the deadline only matters when something is broken.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

DEADLINE_S = 30.0


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    timeout: float = ...,
    every: float = ...,
    what: str = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T],
    *,
    timeout: float = ...,
    every: float = ...,
    what: str = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    *,
    timeout: float = DEADLINE_S,
    every: float = 0.02,
    what: str = "condition",
) -> Any:
    """Call ``probe`` (sync or async) until it returns something truthy, and return that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s (last: {result!r})")
        await asyncio.sleep(every)
