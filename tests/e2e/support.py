"""Test helpers for the end-to-end tests."""

from __future__ import annotations

import asyncio

SECRET_KEY = "e2e-secret-key"


async def wait_ready(*services: object) -> None:
    """Wait for every service's /readyz without blocking the event loop."""
    await asyncio.gather(*(asyncio.to_thread(s.wait_ready) for s in services))  # type: ignore[attr-defined]
