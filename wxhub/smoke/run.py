"""The smoke run: every check in turn against one ``wxhub dev``, then a clean stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from wxhub.smoke.checks import check_admin_login, check_callback, check_notification
from wxhub.smoke.deadline import Deadline
from wxhub.smoke.errors import SmokeFailure
from wxhub.smoke.stack import dev_stack


def run_smoke(workdir: Path, timeout: float, say: Callable[[str], None]) -> None:
    """Every step against one ``wxhub dev``; raises :class:`SmokeFailure` on the first failure."""
    started = time.monotonic()
    deadline = Deadline(timeout)

    def step(text: str) -> None:
        say(f"smoke: {text} ({time.monotonic() - started:.1f} s)")

    with dev_stack(workdir) as stack:
        try:
            stack.wait_ready(deadline)
            step("every service is ready")
            check_callback(stack, encrypt=False, msg_id=time.time_ns())
            step("plaintext callback answered by the engine")
            check_callback(stack, encrypt=True, msg_id=time.time_ns() + 1)
            step("AES callback answered by the engine")
            check_notification(stack, deadline)
            step("business notification delivered through the WeChat API sandbox and confirmed")
            check_admin_login(stack)
            step("admin API login")
        except (SmokeFailure, httpx.HTTPError, KeyError, ValueError) as exc:
            raise SmokeFailure(f"{exc}\n--- wxhub dev log (tail) ---\n{stack.log()}") from exc
        code = stack.stop()
        log = stack.log(tail=10**7)
        if code != 0 or "Traceback" in log:
            raise SmokeFailure(f"wxhub dev stopped with {code}:\n{stack.log()}")
        step("stopped cleanly")
