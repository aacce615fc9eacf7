"""Private RabbitMQ, PostgreSQL and Redis servers the chaos suite may stop and restart.

The machine's own servers are shared (other test runs, CI), so the suite never touches them: it
starts one server of each kind on free loopback ports, with every file in a temporary directory,
and removes them afterwards. RabbitMQ runs as a node of its own (``chaos-<port>@localhost``, its
own cookie, no plugins); PostgreSQL is a fresh ``initdb`` cluster (as the ``postgres`` user when
run by root, which PostgreSQL refuses to be); Redis keeps nothing on disk.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wxhub.ports import free_ports


class InfraError(Exception):
    """A private server could not be started, stopped or reached."""


def _wait_port(port: int, timeout: float, what: str, process: subprocess.Popen[bytes]) -> None:
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


def _run(
    command: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 60
) -> str:
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


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        _wait_port(self.port, 20, "redis-server", self.process)

    def stop(self) -> None:
        _stop(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()


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
        _run(
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
        _run([*self._as_user, pg_ctl, "-D", str(self.data), *args], f"pg_ctl {args[-1]}")

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
        _wait_port(self.port, 90, f"RabbitMQ node {self.node}", self.process)
        self.ctl("await_startup", "--timeout", "60")

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl -n <this node> ...``."""
        return _run(
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
        _stop(self.process, timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()


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
