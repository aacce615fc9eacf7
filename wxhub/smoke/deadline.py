"""One time budget for a whole smoke run, and polling within it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from wxhub.smoke.errors import SmokeFailure


class Deadline:
    """One time budget shared by every wait of a run."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def poll(self, what: str, probe: Callable[[], Any], *, every: float = 0.1) -> Any:
        """Call ``probe`` until it returns something truthy; raise when the budget runs out."""
        last_error: Exception | None = None
        while True:
            try:
                result = probe()
                if result:
                    return result
            except (httpx.HTTPError, SmokeFailure) as exc:
                last_error = exc
            if self.left() <= 0:
                raise SmokeFailure(f"timed out waiting for {what} (last error: {last_error})")
            time.sleep(min(every, self.left()))
