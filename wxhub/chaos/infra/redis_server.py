"""A private ``redis-server`` that keeps nothing on disk."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wxhub.chaos.infra.errors import InfraError
from wxhub.chaos.infra.processes import stop_server, wait_port


@dataclass
class PrivateRedis:
    """``redis-server`` on ``port``, nothing saved: a restart starts empty."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise InfraError("redis-server is not installed (Debian: apt-get install redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        wait_port(self.port, 20, "redis-server", self.process)

    def stop(self) -> None:
        stop_server(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()
