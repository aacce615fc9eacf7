"""Fixtures of the gateway tests (helpers are in ``support.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandboxes import sms as sms_sandbox
from sandboxes.server import RunningServer, serve


@pytest.fixture
async def sms() -> AsyncIterator[tuple[sms_sandbox.SmsState, RunningServer]]:
    """The SMS gateway sandbox on a free loopback port, with its state."""
    state = sms_sandbox.SmsState()
    running = await serve(sms_sandbox.build_app(state), "127.0.0.1", 0)
    yield state, running
    await running.stop()
