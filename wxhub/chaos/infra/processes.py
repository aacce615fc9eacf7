"""The private servers' processes: a tool run to completion, a port waited for, a server stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

from wxhub.chaos.infra.errors import InfraError


def wait_port(port: int, timeout: float, what: str, process: subprocess.Popen[bytes]) -> None:
    """Until something listens on ``port``; fails early when ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InfraError(f"{what} exited with status {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise InfraError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def run_tool(
    command: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 60
) -> str:
    """Run a tool to completion; its standard output, or :class:`InfraError` with its errors."""
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfraError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        raise InfraError(
            f"{what} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}"
        )
    return done.stdout


def stop_server(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """SIGTERM and wait; SIGKILL what outlives ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
