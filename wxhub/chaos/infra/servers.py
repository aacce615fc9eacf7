"""The chaos suite's three private servers together, in one temporary directory."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from wxhub.chaos.infra.errors import InfraError
from wxhub.chaos.infra.postgres_cluster import PrivatePostgres
from wxhub.chaos.infra.rabbitmq_node import PrivateRabbit
from wxhub.chaos.infra.redis_server import PrivateRedis
from wxhub.ports import free_ports


class PrivateServices:
    """The three servers in one temporary directory; a context manager that removes it all."""

    def __init__(self, workdir: Path | None = None, keep: bool = False) -> None:
        self.directory = Path(workdir or tempfile.mkdtemp(prefix="wxhub-chaos-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        # The postgres user must reach its data directory inside.
        self.directory.chmod(0o755)
        self.keep = keep
        redis_port, pg_port, amqp_port, dist_port = free_ports(4)
        self.redis = PrivateRedis(self._sub("redis"), redis_port)
        self.postgres = PrivatePostgres(self.directory / "postgres", pg_port)
        self.rabbit = PrivateRabbit(self._sub("rabbitmq"), amqp_port, dist_port)

    def _sub(self, name: str) -> Path:
        path = self.directory / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def start(self) -> None:
        self.rabbit.init()
        self.postgres.init()
        self.redis.start()
        self.postgres.start()
        self.rabbit.start()

    def stop(self) -> None:
        """Stop the three; the directory is removed unless ``keep`` (set it to keep the logs)."""
        for stop in (self.rabbit.stop, lambda: self.postgres.stop("immediate"), self.redis.stop):
            with contextlib.suppress(InfraError):
                stop()
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PrivateServices:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
