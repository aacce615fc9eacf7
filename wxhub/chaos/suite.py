"""The chaos suite: the local cluster under load, one fault after another, nothing lost or doubled.

For each fault: the load runs a while, the fault is applied while it keeps running, the load runs
on, stops, and the platform is given time to drain (until every accepted message of the phase has
an outcome in the sandboxes' logs, or until nothing has moved for a while). Then the fault's row is
printed. At the end every row is counted again over the complete logs (a message sent a second
time in a later phase shows there) and the suite fails on any loss or double send.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from wxhub.chaos.infra import PrivateServices
from wxhub.chaos.load import Load
from wxhub.chaos.tally import Observed, Row, format_row, header_lines, settled, tally
from wxhub.cluster import SERVICE_PORT_SETTINGS, Cluster, ClusterOptions


@dataclass(frozen=True)
class Profile:
    """Rates and phase lengths of a run."""

    notifications_per_s: float
    callbacks_per_s: float
    before_s: float
    after_s: float
    # Drain until settled, or until nothing moved for drain_idle_s, at most drain_max_s.
    drain_idle_s: float
    drain_max_s: float


FULL = Profile(15, 6, before_s=10, after_s=20, drain_idle_s=40, drain_max_s=240)
# The CI stage: every fault, lower rate, short phases.
QUICK = Profile(5, 2, before_s=2, after_s=4, drain_idle_s=25, drain_max_s=60)


@dataclass(frozen=True)
class Fault:
    name: str
    apply: Callable[[], object]


def faults(cluster: Cluster, services: PrivateServices) -> list[Fault]:
    """kill -9 one replica of each service (then restarted), AMQP connections closed, RabbitMQ,
    PostgreSQL and Redis restarted — in that order."""

    def kill(service: str) -> Callable[[], object]:
        # The replacement starts while the load goes on; the phase waits for it at its end.
        return lambda: cluster.restart_replica(service, 0, wait=False)

    found = [Fault(f"kill -9 {service}", kill(service)) for service in SERVICE_PORT_SETTINGS]
    return [
        *found,
        Fault("close AMQP connections", services.rabbit.close_all_connections),
        Fault("restart RabbitMQ", services.rabbit.restart),
        Fault("restart PostgreSQL", services.postgres.restart),
        Fault("restart Redis", services.redis.restart),
    ]


class Sandboxes:
    """Reads the WeChat API and SMS sandboxes' logs."""

    def __init__(self, client: httpx.AsyncClient, wechat: str, sms: str) -> None:
        self._client = client
        self._wechat = wechat
        self._sms = sms

    async def _get(self, url: str, key: str, **params: str) -> list[Any]:
        response = await self._client.get(url, params=params, timeout=30)
        response.raise_for_status()
        found: list[Any] = response.json()[key]
        return found

    async def observe(self) -> Observed:
        wx, sms = f"{self._wechat}/__sandbox__", f"{self._sms}/__sandbox__"
        deliveries, template, custom, messages, sms_calls = await asyncio.gather(
            self._get(f"{wx}/deliveries", "deliveries"),
            self._get(f"{wx}/calls", "calls", path="/cgi-bin/message/template/send"),
            self._get(f"{wx}/calls", "calls", path="/cgi-bin/message/custom/send"),
            self._get(f"{sms}/messages", "messages"),
            self._get(f"{sms}/calls", "calls", path="/send"),
        )
        return Observed.fold(deliveries, template + custom, messages, sms_calls)

    async def refuse(self, openids: list[str]) -> None:
        """WeChat answers 43004 (unfollowed) for these recipients."""
        response = await self._client.post(
            f"{self._wechat}/__sandbox__/users", json={"unsubscribed": openids}, timeout=30
        )
        response.raise_for_status()


async def run_phase(
    cluster: Cluster,
    index: int,
    fault: Fault,
    load: Load,
    sandboxes: Sandboxes,
    client: httpx.AsyncClient,
    profile: Profile,
    out: TextIO,
) -> Row:
    """Load, fault, load, drain; the fault's row."""
    limit = int(profile.notifications_per_s * (profile.before_s + profile.after_s + 120)) + 10
    await sandboxes.refuse([o for phase in range(index + 1) for o in load.unfollowed(phase, limit)])
    stop = asyncio.Event()
    driving = asyncio.create_task(
        load.drive(client, index, profile.notifications_per_s, profile.callbacks_per_s, stop, limit)
    )
    await asyncio.sleep(profile.before_s)
    started = time.monotonic()
    await asyncio.to_thread(fault.apply)
    took = time.monotonic() - started
    await asyncio.sleep(profile.after_s)
    stop.set()
    await driving
    for replica in cluster.all_replicas():
        await asyncio.to_thread(replica.wait_ready, cluster.options.ready_timeout_s)
    mine = [s for s in load.sent if s.phase == index]
    drained = await drain(mine, sandboxes, profile)
    row = tally(fault.name, mine, await sandboxes.observe())
    print(
        f"{format_row(row)}   fault {took:.1f} s, drained in {drained:.1f} s", file=out, flush=True
    )
    return row


async def drain(mine: list[Any], sandboxes: Sandboxes, profile: Profile) -> float:
    """Wait until every accepted message has an outcome, or nothing moved for a while."""
    started = last_move = time.monotonic()
    pending = -1
    while True:
        seen = await sandboxes.observe()
        now_pending = sum(1 for s in mine if s.accepted and not settled(s, seen))
        now = time.monotonic()
        if now_pending == 0:
            return now - started
        if now_pending != pending:
            pending, last_move = now_pending, now
        if now - last_move > profile.drain_idle_s or now - started > profile.drain_max_s:
            return now - started
        await asyncio.sleep(1.0)


async def run_suite(
    cluster: Cluster, services: PrivateServices, profile: Profile, out: TextIO
) -> list[Row]:
    """Every fault in turn; the final rows, counted again over the complete logs."""
    load = Load(cluster.url("gateway"))
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits) as client:
        sandboxes = Sandboxes(
            client,
            cluster.sandbox_url("wechat_sandbox_port"),
            cluster.sandbox_url("sms_sandbox_port"),
        )
        for line in header_lines():
            print(line, file=out, flush=True)
        plan = faults(cluster, services)
        for index, fault in enumerate(plan):
            await run_phase(cluster, index, fault, load, sandboxes, client, profile, out)
        seen = await sandboxes.observe()
    return [
        tally(fault.name, [s for s in load.sent if s.phase == i], seen)
        for i, fault in enumerate(plan)
    ]


def report(rows: list[Row], out: TextIO) -> bool:
    """The final table with a total line and the examples of what went wrong; True when clean."""
    total = Row("total")
    print("\nfinal count (every phase again, over the complete logs):", file=out)
    for line in header_lines():
        print(line, file=out)
    for row in rows:
        print(format_row(row), file=out)
        total.add(row)
    print(format_row(total), file=out)
    for row in rows:
        for example in row.lost_examples[:5]:
            print(f"lost after {row.fault}: {example}", file=out)
        for example in row.twice_examples[:5]:
            print(f"sent twice after {row.fault}: {example}", file=out)
        for example in row.refused_examples[:3]:
            print(f"refused during {row.fault}: {example}", file=out)
    if total.accepted == 0:
        print("chaos: nothing was accepted", file=out)
        return False
    return total.ok


def run(profile: Profile, *, workdir: Path | None = None, keep: bool = False) -> int:
    """Private servers, the cluster on them, the faults; exit status 0 only when clean."""
    out = sys.stdout
    began = time.monotonic()
    print("chaos: starting private RabbitMQ, PostgreSQL and Redis", file=out, flush=True)
    with PrivateServices(workdir, keep=keep) as services:
        options = ClusterOptions(
            database_url=services.postgres.url("wxhub_chaos"),
            amqp_url=services.rabbit.url,
            redis_url=services.redis.url,
            bus_namespace=f"chaos{secrets.token_hex(3)}.",
            workdir=services.directory / "cluster",
            ready_timeout_s=120,
            extra_env={"WXHUB_SANDBOX_CALL_LOG_SIZE": "500000", "WXHUB_LOG_LEVEL": "WARNING"},
        )
        cluster = Cluster(options)
        print("chaos: starting the cluster", file=out, flush=True)
        try:
            cluster.start()
            print(
                f"chaos: cluster up after {time.monotonic() - began:.0f} s; logs in "
                f"{cluster.log_dir}",
                file=out,
                flush=True,
            )
            rows = asyncio.run(run_suite(cluster, services, profile, out))
            clean = report(rows, out)
            if not clean:
                services.keep = True
                print(f"chaos: logs kept in {services.directory}", file=out, flush=True)
        except BaseException:
            services.keep = True
            print(f"chaos: logs kept in {services.directory}", file=out, flush=True)
            raise
        finally:
            cluster.stop()
    verdict = "nothing lost, nothing sent twice" if clean else "FAILED: loss or double send"
    print(f"chaos: {verdict} ({time.monotonic() - began:.0f} s)", file=out, flush=True)
    return 0 if clean else 1
