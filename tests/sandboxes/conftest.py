"""Fixtures for the sandbox tests: apps on real loopback ports, and a clock tests can move.

Starting and stopping uvicorn costs ~0.2 s, so each test module shares one server whose app
is swapped per test (:class:`AppSlot`); every test still gets a fresh app and state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sandboxes.server import serve
from tests.sandboxes.support import AppSlot, FakeClock, SharedServer


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
