"""Fixtures for the sandbox tests: apps on real loopback ports, and a clock tests can move.

Starting and stopping uvicorn costs ~0.2 s, so each test module shares one server whose app
is swapped per test (:class:`AppSlot`); every test still gets a fresh app and state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from sandboxes.server import RunningServer, serve


class FakeClock:
    """A wall clock that only moves when told to."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


class AppSlot:
    """An ASGI app that forwards HTTP requests to whichever app was put in it last."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


class SharedServer:
    """One loopback server per test module, with a swappable app."""

    def __init__(self, slot: AppSlot, running: RunningServer) -> None:
        self.slot = slot
        self.running = running

    def mount(self, app: Any) -> str:
        """Serve ``app`` from now on and return the base URL."""
        self.slot.app = app
        return self.running.url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_server() -> AsyncIterator[SharedServer]:
    """A server on 127.0.0.1 port 0 shared by a module's tests."""
    slot = AppSlot()
    running = await serve(slot, "127.0.0.1", 0)
    yield SharedServer(slot, running)
    await running.stop()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test controls."""
    return FakeClock()
