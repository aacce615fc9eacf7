"""A private PostgreSQL cluster: ``initdb`` in a directory of its own, run with ``pg_ctl``."""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from wxhub.chaos.infra.errors import InfraError
from wxhub.chaos.infra.processes import run_tool


def _postgres_bin(name: str) -> str:
    """``initdb``/``pg_ctl`` of the newest PostgreSQL Debian installed, else from PATH."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    path = found[-1] if found else shutil.which(name)
    if path is None:
        raise InfraError(
            f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)"
        )
    return path


@dataclass
class PrivatePostgres:
    """A fresh PostgreSQL cluster on ``port``, run with ``pg_ctl`` (``postgres`` user as root)."""

    directory: Path
    port: int
    _as_user: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise InfraError("running as root needs runuser to start PostgreSQL as postgres")
            self._as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.directory, "postgres", "postgres")
        initdb = _postgres_bin("initdb")
        run_tool(
            [
                *self._as_user,
                initdb,
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = _postgres_bin("pg_ctl")
        run_tool([*self._as_user, pg_ctl, "-D", str(self.data), *args], f"pg_ctl {args[-1]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=300"
        )
        log = self.directory / "postgres.log"
        self._pg_ctl("-o", options, "-l", str(log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()
