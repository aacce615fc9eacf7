"""Test helpers for the sandbox tests: a controllable clock and a server shared by a module."""

from __future__ import annotations

from typing import Any

from sandboxes.server import RunningServer


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
