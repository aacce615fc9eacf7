"""Start real service processes (``python -m services.<name>``): end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]


async def stop_process(process: asyncio.subprocess.Process, timeout: float = 15.0) -> None:
    """SIGTERM a child started with asyncio, wait for it, and SIGKILL it if it does not stop."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    """One running service process and where its HTTP port is."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until ``/readyz`` answers 200, or fail with the process's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Send ``sig`` and wait for the process to end."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class ProcessGroup:
    """Service processes started with a shared environment; stopped together."""

    env: dict[str, str]
    log_dir: Path
    # In a session of their own, a terminal's Ctrl-C reaches only the parent, which then stops
    # the children in order (the local cluster) instead of all at once.
    detach: bool = False
    processes: list[ServiceProcess] = field(default_factory=list)
    # The source tree the services run from (another checkout, to compare versions).
    cwd: Path = REPO_ROOT

    def start(
        self, service: str, *, port_setting: str, port: int | None = None, **extra_env: str
    ) -> ServiceProcess:
        """Start ``python -m services.<service>`` on ``port`` (default: a free one)."""
        port = port or free_port()
        env = {**os.environ, **self.env, **extra_env, f"WXHUB_{port_setting.upper()}": str(port)}
        env["WXHUB_INSTANCE_ID"] = f"{service}-{port}"
        log_path = self.log_dir / f"{service}-{port}.log"
        # Appended to: a replica restarted on the same port keeps its predecessor's log.
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=self.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=self.detach,
            )
        started = ServiceProcess(service, port, process, log_path)
        self.processes.append(started)
        return started

    def stop_all(self) -> None:
        """Terminate every process that is still running."""
        for service in self.processes:
            service.kill()
