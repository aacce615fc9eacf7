"""``wxhub dev`` on free ports and a scratch SQLite file: started, waited for, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from wxhub.ports import free_ports
from wxhub.processes import REPO_ROOT
from wxhub.smoke.deadline import Deadline
from wxhub.smoke.errors import SmokeFailure

# Every port ``wxhub dev`` opens is one of these settings (libs/common/settings.py).
PORT_SETTINGS = (
    "gateway_port",
    "admin_port",
    "stats_port",
    "engine_port",
    "dispatcher_port",
    "wechat_sandbox_port",
    "sms_sandbox_port",
    "core_sandbox_port",
)
SERVICE_PORTS = {
    "gateway": "gateway_port",
    "admin_api": "admin_port",
    "stats": "stats_port",
    "engine": "engine_port",
    "dispatcher": "dispatcher_port",
}


@dataclass
class DevStack:
    """A running ``wxhub dev`` process: its ports, its log and how to stop it."""

    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log_path: Path
    host: str = "127.0.0.1"

    def url(self, port_setting: str) -> str:
        return f"http://{self.host}:{self.ports[port_setting]}"

    def log(self, tail: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def wait_ready(self, deadline: Deadline) -> None:
        """Every service answers ``/readyz`` with 200 (fails early if the process died)."""
        for service, setting in SERVICE_PORTS.items():

            def ready(setting: str = setting) -> bool:
                if self.process.poll() is not None:
                    raise _Exited(self.process.returncode)
                response = httpx.get(f"{self.url(setting)}/readyz", timeout=2.0)
                return response.status_code == 200

            try:
                deadline.poll(f"{service} /readyz", ready, every=0.2)
            except _Exited as exc:
                raise SmokeFailure(
                    f"wxhub dev exited with {exc.code} before it was ready"
                ) from None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait, and the exit status (SIGKILL and -9 if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class _Exited(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.code = code


@contextmanager
def dev_stack(workdir: Path, *, extra_env: dict[str, str] | None = None) -> Iterator[DevStack]:
    """Start ``wxhub dev`` on free ports with a SQLite file in ``workdir``; stop it on exit.

    ``WXHUB_*`` variables of the caller's environment are left out, so the run checks the
    embedded default whatever the shell has set; ``extra_env`` adds some back.
    """
    ports = dict(zip(PORT_SETTINGS, free_ports(len(PORT_SETTINGS)), strict=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    env.update({f"WXHUB_{name.upper()}": str(port) for name, port in ports.items()})
    env["WXHUB_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/var/wxhub.db"
    env.update(extra_env or {})
    log_path = workdir / "wxhub-dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "wxhub.cli", "dev"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    stack = DevStack(ports=ports, process=process, log_path=log_path)
    try:
        yield stack
    finally:
        stack.stop()
