"""A private RabbitMQ node: its own name, cookie, files and ports, no plugins."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wxhub.chaos.infra.errors import InfraError
from wxhub.chaos.infra.processes import run_tool, stop_server, wait_port

# Erlang distribution on loopback only (as the system node's rabbitmq-env.conf does).
_LOOPBACK_DIST = "-kernel inet_dist_use_interface {127,0,0,1}"


@dataclass
class PrivateRabbit:
    """A RabbitMQ node of its own (``chaos-<port>@localhost``); its data survives a restart."""

    directory: Path
    port: int
    dist_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def node(self) -> str:
        return f"chaos-{self.port}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        d = self.directory
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            {
                # The cookie file lives in HOME: the node and rabbitmqctl share this one only.
                "HOME": str(d),
                "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
                "RABBITMQ_LOG_BASE": str(d / "log"),
                "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
                "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
                "RABBITMQ_PLUGINS_EXPAND_DIR": str(d / "plugins-expand"),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": _LOOPBACK_DIST,
                "ERL_EPMD_ADDRESS": "127.0.0.1",
            }
        )
        return env

    def _binary(self, name: str) -> str:
        # Debian's /usr/sbin wrappers switch to the rabbitmq user and the system node's files.
        direct = Path("/usr/lib/rabbitmq/bin") / name
        path = str(direct) if direct.exists() else shutil.which(name)
        if path is None:
            raise InfraError(f"{name} is not installed (Debian: apt-get install rabbitmq-server)")
        return path

    def init(self) -> None:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        (d / "enabled_plugins").write_text("[].\n")
        (d / "rabbitmq-env.conf").write_text("")
        (d / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "disk_free_limit.absolute = 50MB\n"
            "log.console = false\n"
        )

    def start(self) -> None:
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self._binary("rabbitmq-server")],
                env=self._env(),
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_port(self.port, 90, f"RabbitMQ node {self.node}", self.process)
        self.ctl("await_startup", "--timeout", "60")

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl -n <this node> ...``."""
        return run_tool(
            [self._binary("rabbitmqctl"), "-n", self.node, *args],
            f"rabbitmqctl {args[0]}",
            env=self._env(),
            timeout=90,
        )

    def close_all_connections(self) -> None:
        self.ctl("close_all_connections", "wxhub chaos: connections closed")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(InfraError):
            self.ctl("stop")
        stop_server(self.process, timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()
