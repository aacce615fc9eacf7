"""Heartbeat: each service instance announces on ``wx.events`` that it is alive."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from libs.common.bus import EVENTS, Bus
from libs.common.observability.metrics import HEARTBEAT_SENT
from libs.common.periodic import Periodic
from libs.common.schemas.events import HeartbeatSent


class Heartbeat:
    """Publishes :class:`HeartbeatSent` on ``wx.events`` / ``heartbeat.<service>`` every interval.

    The first beat goes out at ``start()``; a failed beat (bus down, ``details`` raising) is
    logged and the next tick tries again, so the loop never dies on its own.
    """

    def __init__(
        self,
        bus: Bus,
        *,
        service: str,
        instance_id: str,
        interval_s: float = 10.0,
        details: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._bus = bus
        self._service = service
        self._instance_id = instance_id
        self._interval_s = interval_s
        self._details = details
        self._started_at = time.monotonic()
        self._loop = Periodic(
            self.beat, interval_s=interval_s, name=f"heartbeat-{service}", run_at_start=True
        )

    @property
    def running(self) -> bool:
        """Whether the beat loop is active."""
        return self._loop.running

    async def start(self) -> None:
        """Start beating (idempotent)."""
        if self.running:
            return
        self._started_at = time.monotonic()
        await self._loop.start()

    async def stop(self) -> None:
        """Stop beating and wait for the loop to end."""
        await self._loop.stop()

    async def beat(self) -> None:
        """Publish one heartbeat now; raises what the bus raises."""
        event = HeartbeatSent(
            service=self._service,
            instance_id=self._instance_id,
            uptime_s=round(time.monotonic() - self._started_at, 3),
            details=self._details() if self._details is not None else {},
        )
        await self._bus.publish(
            EVENTS,
            f"heartbeat.{self._service}",
            event.to_bytes(),
            message_id=event.message_id,
            persistent=False,
        )
        HEARTBEAT_SENT.labels(self._service).set(time.time())
