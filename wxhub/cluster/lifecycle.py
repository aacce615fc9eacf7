"""The local cluster's processes: started in order, one replica restarted at a time, stopped
balancer first."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from wxhub.cluster.balancer import find_haproxy, render_haproxy
from wxhub.cluster.banner import banner
from wxhub.cluster.database import ensure_database
from wxhub.cluster.environment import cluster_environment
from wxhub.cluster.errors import ClusterError
from wxhub.cluster.options import ClusterOptions
from wxhub.cluster.ports import SERVICE_PORT_SETTINGS, ClusterPorts, port_is_free
from wxhub.processes import REPO_ROOT, ProcessGroup, ServiceProcess


class Cluster:
    """The running local cluster; :meth:`start` then :meth:`stop` (also as a context manager)."""

    def __init__(self, options: ClusterOptions) -> None:
        self.options = options
        self.ports = ClusterPorts.plan(options.replicas, options.base_port)
        self.log_dir = options.workdir / "logs"
        self.env = cluster_environment(options, self.ports)
        self.group = ProcessGroup(env=self.env, log_dir=self.log_dir, detach=True)
        self.replicas: dict[str, list[ServiceProcess]] = {}
        self._helpers: list[tuple[str, subprocess.Popen[bytes]]] = []

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
        busy = [
            port for port in self.ports.every_port() if not port_is_free(self.options.host, port)
        ]
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
        return banner(self)

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
