"""Periodic background work: one loop that every refresher, sweeper, beat and flusher shares.

:class:`Periodic` runs an async action every ``interval_s`` in its own task, on a fixed rate
that skips missed ticks after a stall instead of bursting to catch up. An action that raises
is logged and tried again next tick, so the loop never dies on its own; :meth:`Periodic.wake`
runs it early (a batch filled up). :meth:`Periodic.stop` cancels the task and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``action`` every ``interval_s`` seconds until stopped.

    With ``run_at_start`` the first run happens right away, otherwise one interval after
    :meth:`start`.
    """

    def __init__(
        self,
        action: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        name: str,
        run_at_start: bool = False,
    ) -> None:
        self._action = action
        self.interval_s = interval_s
        self.name = name
        self._run_at_start = run_at_start
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop is active."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the loop (idempotent)."""
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the loop and wait for it to end (a run in progress is cancelled)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Run the action as soon as possible instead of at the next tick."""
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + (0.0 if self._run_at_start else self.interval_s)
        while True:
            delay = next_at - loop.time()
            if delay > 0 and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()
            try:
                await self._action()
            except Exception:
                log.exception("%s failed; next run in %.1fs", self.name, self.interval_s)
            next_at = max(next_at + self.interval_s, loop.time())
