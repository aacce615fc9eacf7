"""One measured run: a server under closed-loop load, and the CPU its processes used (/proc)."""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import LoadResult, run_load


def broker_pids() -> dict[str, int]:
    """PIDs of the local RabbitMQ and Redis servers, when visible."""
    found = {}
    for name, pattern in (("rabbitmq", "beam.smp"), ("redis", "redis-server")):
        out = subprocess.run(["pgrep", "-o", "-f", pattern], capture_output=True, text=True)
        if out.stdout.strip():
            found[name] = int(out.stdout.split()[0])
    return found


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """utime + stime of each named process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            used[name] = 0.0
    return used


@dataclass
class Round:
    """One closed-loop run of one server in one mode."""

    server: str
    mode: str
    result: LoadResult
    cpu_s: dict[str, float]


class Servers:
    """Where each compared server listens, what its answers contain, and its processes."""

    def __init__(self, ports: dict[str, int], pids: dict[str, dict[str, int]]) -> None:
        self.ports = ports
        self.pids = pids
        self.expect = {
            "ceiling": b"success",
            "peer": b"<xml>",
            "wxhub": b"<xml>",
            "baseline": b"<xml>",
        }
        self.names = [name for name in ("ceiling", "peer", "wxhub", "baseline") if name in ports]


async def measure(
    servers: Servers, server: str, mode: str, requests: list[bytes], *, args: argparse.Namespace
) -> Round:
    """One closed-loop run of ``server``; CPU of its processes and of the shared brokers."""
    watched = {**servers.pids[server], **servers.pids["shared"]}
    before = cpu_seconds(watched)
    result = await run_load(
        "127.0.0.1",
        servers.ports[server],
        requests,
        concurrency=args.concurrency,
        expect=servers.expect[server],
        seconds=args.seconds,
        # wxhub deduplicates by MsgId: every request it gets must be new.
        cycle=server in ("ceiling", "peer"),
    )
    after = cpu_seconds(watched)
    return Round(server, mode, result, {k: after[k] - before[k] for k in watched})
