"""``wxhub cluster``: production wiring on one machine.

Every service runs as ``replicas`` processes (``python -m services.<name>``) behind HAProxy on
loopback, on the local RabbitMQ, PostgreSQL (a database of its own, migrated and seeded with the
demo data by ``wxhub seed``) and Redis; the WeChat API, SMS and core-system sandboxes run as a
process of their own (``python -m sandboxes``). Ctrl-C or SIGTERM stops everything, the balancer
first, then the services in reverse start order.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import asyncpg
import httpx

from wxhub.demo.account import DEMO
from wxhub.processes import REPO_ROOT, ProcessGroup, ServiceProcess
from wxhub.smoke import free_ports

# Start order: consumers before the gateway that feeds them (as in wxhub/services.py).
SERVICE_PORT_SETTINGS = {
    "stats": "stats_port",
    "engine": "engine_port",
    "dispatcher": "dispatcher_port",
    "admin_api": "admin_port",
    "gateway": "gateway_port",
}
SANDBOX_PORT_SETTINGS = ("wechat_sandbox_port", "sms_sandbox_port", "core_sandbox_port")
TEMPLATE = Path(__file__).with_name("templates") / "haproxy.cfg"
# With a base port: balancer listeners at base+0.., its stats page at base+5, the sandboxes at
# base+6..8, replicas from base+10.
_BALANCER_STATS_OFFSET = 5
_SANDBOX_OFFSET = 6
_REPLICA_OFFSET = 10


class ClusterError(Exception):
    """The cluster could not be started (a part is missing, failed or not ready in time)."""


@dataclass(frozen=True)
class ClusterPorts:
    """Where everything listens: the balancer's front per service, and each replica."""

    front: dict[str, int]
    replicas: dict[str, list[int]]
    balancer_stats: int
    sandboxes: dict[str, int]

    @classmethod
    def plan(cls, replicas: int, base_port: int | None = None) -> ClusterPorts:
        """Consecutive ports from ``base_port``, or free ones when it is not given."""
        names = list(SERVICE_PORT_SETTINGS)
        if base_port is None:
            ports = iter(free_ports(len(names) * (replicas + 1) + 1 + len(SANDBOX_PORT_SETTINGS)))
            front = {name: next(ports) for name in names}
            stats = next(ports)
            sandboxes = {setting: next(ports) for setting in SANDBOX_PORT_SETTINGS}
            replica_ports = {name: [next(ports) for _ in range(replicas)] for name in names}
            return cls(front, replica_ports, stats, sandboxes)
        replica_base = base_port + _REPLICA_OFFSET
        return cls(
            front={name: base_port + i for i, name in enumerate(names)},
            replicas={
                name: [replica_base + i * replicas + r for r in range(replicas)]
                for i, name in enumerate(names)
            },
            balancer_stats=base_port + _BALANCER_STATS_OFFSET,
            sandboxes={
                setting: base_port + _SANDBOX_OFFSET + i
                for i, setting in enumerate(SANDBOX_PORT_SETTINGS)
            },
        )


def render_haproxy(ports: ClusterPorts, host: str = "127.0.0.1") -> str:
    """The balancer's configuration: one listener per service over its replicas."""
    sections = []
    for service, replica_ports in ports.replicas.items():
        servers = "\n".join(
            f"    server {service}-{i + 1} {host}:{port}" for i, port in enumerate(replica_ports)
        )
        sections.append(
            f"\nlisten {service}\n"
            f"    bind {host}:{ports.front[service]}\n"
            "    balance roundrobin\n"
            f"{servers}\n"
        )
    return Template(TEMPLATE.read_text()).substitute(
        host=host, stats_port=ports.balancer_stats, listeners="".join(sections)
    )


def find_haproxy() -> str:
    """The ``haproxy`` binary (Debian installs it in /usr/sbin, often not on a user's PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
    found = shutil.which("haproxy", path=path)
    if found is None:
        raise ClusterError("haproxy is not installed (Debian: apt-get install haproxy)")
    return found


@dataclass
class ClusterOptions:
    """What the cluster connects to and where it keeps its logs."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/wxhub_cluster"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    redis_url: str = "redis://127.0.0.1:6379/0"
    bus_namespace: str = "cluster."
    replicas: int = 2
    base_port: int | None = None
    workdir: Path = field(default_factory=lambda: REPO_ROOT / "var" / "cluster")
    host: str = "127.0.0.1"
    # Local test value, like every demo credential (WXHUB_ENV stays dev: demo data is loaded).
    secret_key: str = "wxhub-local-cluster-secret-not-for-production"
    ready_timeout_s: float = 60.0
    extra_env: dict[str, str] = field(default_factory=dict)


async def ensure_database(url: str) -> None:
    """Create the cluster's database when it does not exist yet."""
    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


class Cluster:
    """The running local cluster; :meth:`start` then :meth:`stop` (also as a context manager)."""

    def __init__(self, options: ClusterOptions) -> None:
        self.options = options
        self.ports = ClusterPorts.plan(options.replicas, options.base_port)
        self.log_dir = options.workdir / "logs"
        self.env = self._environment()
        self.group = ProcessGroup(env=self.env, log_dir=self.log_dir, detach=True)
        self.replicas: dict[str, list[ServiceProcess]] = {}
        self._helpers: list[tuple[str, subprocess.Popen[bytes]]] = []

    def _environment(self) -> dict[str, str]:
        o = self.options
        sandbox = {s: self.ports.sandboxes[s] for s in SANDBOX_PORT_SETTINGS}
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
        env.update(
            {
                "WXHUB_HOST": o.host,
                "WXHUB_DATABASE_URL": o.database_url,
                "WXHUB_AMQP_URL": o.amqp_url,
                "WXHUB_REDIS_URL": o.redis_url,
                "WXHUB_BUS_NAMESPACE": o.bus_namespace,
                "WXHUB_RATE_LIMIT_REPLICAS": str(o.replicas),
                "WXHUB_SECRET_KEY": o.secret_key,
                "WXHUB_WECHAT_API_BASE": f"http://{o.host}:{sandbox['wechat_sandbox_port']}",
                "WXHUB_WECHAT_OAUTH_BASE": f"http://{o.host}:{sandbox['wechat_sandbox_port']}",
                "WXHUB_SMS_URL": f"http://{o.host}:{sandbox['sms_sandbox_port']}/send",
                "WXHUB_CORE_URL": f"http://{o.host}:{sandbox['core_sandbox_port']}",
                **{f"WXHUB_{s.upper()}": str(port) for s, port in sandbox.items()},
                **o.extra_env,
            }
        )
        return env

    def url(self, service: str) -> str:
        """The balancer's URL for a service."""
        return f"http://{self.options.host}:{self.ports.front[service]}"

    def sandbox_url(self, port_setting: str) -> str:
        return f"http://{self.options.host}:{self.ports.sandboxes[port_setting]}"

    @property
    def balancer_stats_url(self) -> str:
        return f"http://{self.options.host}:{self.ports.balancer_stats}/"

    def start(self) -> None:
        """Database, sandboxes, every replica, then the balancer; returns once all are ready."""
        haproxy = find_haproxy()
        busy = [port for port in self._all_ports() if not port_is_free(self.options.host, port)]
        if busy:
            raise ClusterError(f"ports already in use: {busy} (choose another --base-port)")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.options.ready_timeout_s
        asyncio.run(ensure_database(self.options.database_url))
        self._run_step("seed", [sys.executable, "-m", "wxhub.cli", "seed"])
        self._spawn("sandboxes", [sys.executable, "-m", "sandboxes"])
        for service, setting in SERVICE_PORT_SETTINGS.items():
            self.replicas[service] = [
                self.group.start(service, port_setting=setting, port=port)
                for port in self.ports.replicas[service]
            ]
        for replica in self.all_replicas():
            replica.wait_ready(timeout=max(1.0, deadline - time.monotonic()))
        config = self.options.workdir / "haproxy.cfg"
        config.write_text(render_haproxy(self.ports, self.options.host))
        self._spawn("haproxy", [haproxy, "-db", "-f", str(config)])
        for service in SERVICE_PORT_SETTINGS:
            self._wait_balanced(service, deadline)

    def _all_ports(self) -> list[int]:
        p = self.ports
        nested = [*p.front.values(), p.balancer_stats, *p.sandboxes.values()]
        return nested + [port for ports in p.replicas.values() for port in ports]

    def all_replicas(self) -> Iterator[ServiceProcess]:
        for replicas in self.replicas.values():
            yield from replicas

    def restart_replica(
        self, service: str, index: int, sig: int = signal.SIGKILL, *, wait: bool = True
    ) -> ServiceProcess:
        """End one replica with ``sig`` (default: kill -9, no drain) and start it again on its
        port; returns the new process, once it is ready unless ``wait`` is false."""
        old = self.replicas[service][index]
        old.kill(sig)
        new = self.group.start(service, port_setting=SERVICE_PORT_SETTINGS[service], port=old.port)
        self.replicas[service][index] = new
        if wait:
            new.wait_ready(timeout=self.options.ready_timeout_s)
        return new

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """Balancer first, then the services (reverse start order), then the sandboxes.

        Returns each process's exit status (``None``: had to be killed).
        """
        statuses: dict[str, int | None] = {}
        helpers = dict(self._helpers)
        if "haproxy" in helpers:
            # SIGUSR1: HAProxy's soft stop (close listeners, finish open requests, exit 0).
            haproxy = helpers.pop("haproxy")
            statuses["haproxy"] = _terminate([haproxy], timeout, signal.SIGUSR1)[0]
        for service in reversed(list(self.replicas)):
            replicas = self.replicas[service]
            codes = _terminate([r.process for r in replicas], timeout)
            statuses.update(
                {f"{r.name}:{r.port}": code for r, code in zip(replicas, codes, strict=True)}
            )
        for name, process in helpers.items():
            statuses[name] = _terminate([process], timeout)[0]
        return statuses

    def banner(self) -> str:
        """The URLs an operator needs, with the demo's test credentials."""
        lines = [
            "",
            f"wxhub cluster is running: {self.options.replicas} replicas of every service behind "
            "HAProxy, on RabbitMQ, PostgreSQL and Redis",
            f"  WeChat callback URL   {self.url('gateway')}/wechat/{DEMO.code}",
            f"    Token               {DEMO.token}   (test value)",
            f"  business API          {self.url('gateway')}/api/v1  (docs: /docs)",
            "    system / secret     demo-core / demo-core-secret-not-real   (test values)",
            f"  admin API + SPA       {self.url('admin_api')}/",
            f"  stats                 {self.url('stats')}/",
            f"  engine                {self.url('engine')}/healthz",
            f"  dispatcher            {self.url('dispatcher')}/healthz",
            f"  balancer stats        {self.balancer_stats_url}",
            f"  WeChat API sandbox    {self.sandbox_url('wechat_sandbox_port')}/__sandbox__/calls",
            f"  SMS sandbox           {self.sandbox_url('sms_sandbox_port')}/__sandbox__/calls",
            f"  database / bus        {self.options.database_url}  namespace "
            f"{self.options.bus_namespace!r}",
            f"  logs                  {self.log_dir}",
            "  replicas:",
        ]
        lines += [f"    {r.name:<11} {r.url}  pid {r.process.pid}" for r in self.all_replicas()]
        lines += ["  Ctrl-C stops everything", ""]
        return "\n".join(lines)

    def exited(self) -> list[str]:
        """Processes that ended on their own."""
        gone = [f"{r.name}:{r.port}" for r in self.all_replicas() if r.process.poll() is not None]
        return gone + [name for name, p in self._helpers if p.poll() is not None]

    def _run_step(self, name: str, command: list[str]) -> None:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            done = subprocess.run(
                command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if done.returncode != 0:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise ClusterError(f"{name} failed ({done.returncode}):\n{tail}")

    def _spawn(self, name: str, command: list[str]) -> None:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._helpers.append((name, process))

    def _wait_balanced(self, service: str, deadline: float) -> None:
        """The balancer answers ``/readyz`` for ``service`` (its health checks have passed)."""
        url = f"{self.url(service)}/readyz"
        while time.monotonic() < deadline:
            if gone := self.exited():
                raise ClusterError(f"exited while starting: {', '.join(gone)}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ClusterError(f"{service} not answering through the balancer at {url}")


def _terminate(
    processes: list[subprocess.Popen[bytes]], timeout: float, sig: int = signal.SIGTERM
) -> list[int | None]:
    """``sig`` to all at once, wait for each; SIGKILL what outlives ``timeout``."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(sig)
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            codes.append(None)
    return codes


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def run(options: ClusterOptions) -> int:
    """Start, print the URLs, serve until Ctrl-C/SIGTERM, stop; exit status for the CLI."""
    # SIGTERM unwinds like Ctrl-C, so both stop the cluster in order.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cluster = Cluster(options)
    reported: set[str] = set()
    try:
        print("wxhub cluster: starting (database, sandboxes, replicas, balancer)", flush=True)
        cluster.start()
        print(cluster.banner(), flush=True)
        while True:
            time.sleep(1.0)
            for name in set(cluster.exited()) - reported:
                reported.add(name)
                print(f"wxhub cluster: {name} exited; see {cluster.log_dir}", flush=True)
    except ClusterError as exc:
        print(f"wxhub cluster: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("wxhub cluster: stopping", flush=True)
    finally:
        statuses = cluster.stop()
    unclean = {name: code for name, code in statuses.items() if code != 0}
    if unclean:
        print(f"wxhub cluster: stopped; not cleanly: {unclean}", file=sys.stderr, flush=True)
        return 1
    print("wxhub cluster: stopped", flush=True)
    return 0
