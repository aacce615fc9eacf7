"""``python -m bench.outbound``: business API → RabbitMQ → dispatcher → WeChat sandbox.

Runs on PostgreSQL (a fresh ``<database>_bench`` next to ``WXHUB_TEST_DATABASE_URL``) and the
RabbitMQ of ``WXHUB_TEST_AMQP_URL``, with the sandboxes, one gateway and one dispatcher as child
processes. Notifications are submitted through ``POST /api/v1/notifications:batch`` (HMAC-signed
as system ``demo-core``), ``--batch`` items per call, paced at ``--rate`` per second (0: as fast
as the gateway takes them); ``--direct`` inserts rows and publishes ``OutboundRequested`` from
here instead. Two runs of ``--count``: all WeChat calls succeed; then ``--fail-percent`` of
template sends answer 43101 (user refuses: a verdict, so those fall back to SMS). Prints accepted/s,
delivered/s (terminal, end to end), p50/p99 from acceptance to the terminal status event, the
fallbacks and their latency, and CPU ms per notification of each process (from /proc, so the
figure is not distorted by other load on the machine). The unpaced clean run is the maximum
delivered/s, closed loop. ``--pg-stats`` adds WAL bytes and SQL statements per notification.

First, the single-POST comparison: ``POST /api/v1/notifications`` one at a time (closed loop,
``--single-concurrency`` connections) against the peer (``bench.peers.notifications_api``: plain
FastAPI + asyncpg + aio-pika verifying the same HMAC headers, inserting the row and publishing
with confirms on the same exchange, so the dispatcher delivers both). The machine may be shared,
so the two alternate for ``--single-rounds`` rounds of ``--single-seconds`` each (order reversed
every other round) and the figures are medians, with the ratio wxhub/peer taken within each round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.inbound import broker_pids, cpu_seconds, median, wait_listening
from bench.loadgen import LoadResult, run_load
from bench.servers import add_server_arguments
from libs.common.bus import EVENTS, OUTBOUND, AmqpBus, Delivery, Queue, Topology, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, Notification
from libs.common.schemas.events import DeliveryStatusChangedBatch
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM, seed_outbound_demo
from wxhub.processes import stop_process
from wxhub.scratch_db import fresh_postgres

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-outbound-secret-key"
# The scratch database is named after the configured one: <database>_bench.
DATABASE_SUFFIX = "bench"
TERMINAL = {"delivered", "fallback_sent", "suppressed", "failed"}
DATA = {"account_tail": "1234", "time": "10:00", "amount": "100.00", "balance": "900.00"}
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Result:
    """Figures of one run."""

    label: str
    count: int
    accept_s: float
    total_s: float
    statuses: dict[str, int]
    latencies: dict[str, list[float]]
    cpu_ms: dict[str, float] = field(default_factory=dict)
    pg: dict[str, float | None] | None = None
    # Status events per notification: AMQP messages, and the events they carry.
    events: tuple[float, float] = (0.0, 0.0)


class CpuMeter:
    """CPU seconds (utime + stime from /proc) of named process groups since the last reset."""

    def __init__(self, groups: dict[str, Any]) -> None:
        # name → a pid, or a callable returning the pids to sum (re-evaluated at each sample).
        self.groups = groups
        self._tick = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _cpu(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self._tick
        except (OSError, IndexError):
            return 0.0

    def _sample(self) -> dict[str, dict[int, float]]:
        sample = {}
        for name, pids in self.groups.items():
            found = pids() if callable(pids) else [pids]
            sample[name] = {pid: self._cpu(pid) for pid in found}
        return sample

    def reset(self) -> None:
        """Start measuring from now."""
        self._start = self._sample()

    def per_message_ms(self, messages: int) -> dict[str, float]:
        """CPU ms per message of each group since the last reset (then resets)."""
        now = self._sample()
        used = {}
        for name, pids in now.items():
            before = self._start.get(name, {})
            # A process that appeared meanwhile counts from zero.
            seconds = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
            used[name] = seconds * 1000 / max(messages, 1)
        self._start = now
        return used


class PgMeter:
    """WAL bytes and SQL statements per message since the last reset, for ``--pg-stats``.

    WAL is the whole cluster's (``pg_current_wal_insert_lsn()``): it is the bench's own only on a
    PostgreSQL nobody else writes to. Statements are the top-level ``calls`` of
    ``pg_stat_statements`` in the scratch database (BEGIN and COMMIT included, foreign-key checks
    not; an ``executemany`` counts once per row though it is one round trip), or ``None`` when the
    extension is not installed in the server's ``postgres`` database. Neither depends on the
    machine's speed or load.
    """

    def __init__(self, url: str, database: str) -> None:
        self.url = urlsplit(url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
        self.database = database
        self._conn: asyncpg.Connection | None = None
        self._start: tuple[int, int | None] = (0, None)

    async def connect(self) -> None:
        """Open the meter's own connection (to ``postgres``, so it is not counted) and reset."""
        self._conn = await asyncpg.connect(self.url)
        await self.reset()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    async def _sample(self) -> tuple[int, int | None]:
        assert self._conn is not None
        wal = await self._conn.fetchval("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
        try:
            calls = await self._conn.fetchval(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE toplevel"
                " AND dbid = (SELECT oid FROM pg_database WHERE datname = $1)",
                self.database,
            )
        except asyncpg.UndefinedTableError:
            calls = None
        return int(wal), None if calls is None else int(calls)

    async def reset(self) -> None:
        """Start measuring from now."""
        self._start = await self._sample()

    async def per_message(self, messages: int) -> dict[str, float | None]:
        """WAL bytes and statements per message since the last reset (then resets)."""
        now = await self._sample()
        figures = pg_per_message(self._start, now, messages)
        self._start = now
        return figures


def pg_per_message(
    before: tuple[int, int | None], after: tuple[int, int | None], messages: int
) -> dict[str, float | None]:
    """``{"wal_bytes": …, "statements": …}`` per message between two samples."""
    wal_before, calls_before = before
    wal_after, calls_after = after
    messages = max(messages, 1)
    statements = (
        None
        if calls_before is None or calls_after is None
        else (calls_after - calls_before) / messages
    )
    return {"wal_bytes": (wal_after - wal_before) / messages, "statements": statements}


def postgres_backends(database: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to ``database`` (the bench's own load)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            pids.append(int(entry.name))
    return pids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Submitter:
    """Accepts notifications either through the gateway API or directly (row + publish)."""

    def __init__(
        self,
        *,
        api: httpx.AsyncClient | None,
        bus: AmqpBus,
        sessions: Sessions,
        account_id: int,
    ) -> None:
        self.api = api
        self.bus = bus
        self.sessions = sessions
        self.account_id = account_id

    async def submit(self, run: str, start: int, n: int) -> list[str]:
        """Accept ``n`` notifications; returns their ids."""
        if self.api is not None:
            return await self._via_api(run, start, n)
        return await self._direct(n)

    async def _via_api(self, run: str, start: int, n: int) -> list[str]:
        items = [
            {
                "account": DEMO.code,
                "event_type": "balance_change",
                "to": {"openid": f"o-bench-{run}-{start + i:06d}", "phone": "13800000001"},
                "data": DATA,
                "priority": "alert",
                "idempotency_key": f"bench-{run}-{start + i}",
                "fallback": "sms",
            }
            for i in range(n)
        ]
        body = json.dumps({"items": items}).encode()
        assert self.api is not None
        response = await self.api.post(
            "/api/v1/notifications:batch",
            content=body,
            headers={
                "Content-Type": "application/json",
                **signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body),
            },
        )
        response.raise_for_status()
        answer = response.json()
        if answer["accepted"] != n:
            raise RuntimeError(f"gateway accepted {answer['accepted']} of {n}: {answer}")
        return [item["id"] for item in answer["results"]]

    async def _direct(self, n: int) -> list[str]:
        now = datetime.now(UTC)
        ids = [uuid.uuid4().hex for _ in range(n)]
        phone_enc = SecretBox(SECRET_KEY).encrypt("13800000001")
        async with self.sessions.begin() as session:
            await session.execute(
                insert(Notification),
                [
                    {
                        "id": nid,
                        "account_id": self.account_id,
                        "event_type": "balance_change",
                        "priority": "alert",
                        "openid": f"o-bench-{nid[:12]}",
                        "phone_enc": phone_enc,
                        "data": DATA,
                        "fallback": "sms",
                        "deadline_at": now + timedelta(seconds=30),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for nid in ids
                ],
            )

        async def publish(nid: str) -> None:
            request = OutboundRequested(
                message_id=nid, account=DEMO.code, priority="alert", notification_id=nid
            )
            await self.bus.publish(OUTBOUND, "alert.wechat", request.to_bytes(), message_id=nid)

        await asyncio.gather(*(publish(nid) for nid in ids))
        return ids


class Collector:
    """Terminal status events, by notification id, from the bench's ``delivery.*`` queue."""

    def __init__(self) -> None:
        self.terminal: dict[str, tuple[str, float]] = {}
        self.changed = asyncio.Event()
        self.messages = 0  # AMQP messages of status events received
        self.events = 0  # status events in them

    async def on_event(self, delivery: Delivery) -> None:
        """Record the terminal events of a batch."""
        items = DeliveryStatusChangedBatch.from_bytes(delivery.message.body).items
        self.messages += 1
        self.events += len(items)
        for event in items:
            if event.status in TERMINAL and event.accepted_at is not None:
                latency = (event.occurred_at - event.accepted_at).total_seconds()
                self.terminal[event.notification_id] = (event.status, latency)
        self.changed.set()
        await delivery.ack()


async def _run(
    label: str,
    run: str,
    count: int,
    *,
    submitter: Submitter,
    collector: Collector,
    rate: float,
    batch: int,
    cpu: CpuMeter,
    pg: PgMeter | None = None,
) -> Result:
    cpu.reset()
    if pg is not None:
        await pg.reset()
    messages, events = collector.messages, collector.events
    ids: list[str] = []
    started = time.perf_counter()
    in_flight = asyncio.Semaphore(4)

    async def one(start: int, n: int) -> None:
        async with in_flight:
            ids.extend(await submitter.submit(run, start, n))

    tasks = []
    for i, start in enumerate(range(0, count, batch)):
        if rate > 0:
            # Paced (open loop): batch i is due at i * batch / rate seconds.
            delay = started + i * batch / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(start, min(batch, count - start))))
    await asyncio.gather(*tasks)
    accept_s = time.perf_counter() - started
    wanted = set(ids)
    give_up = time.perf_counter() + max(120.0, count / 100)
    while len(wanted.intersection(collector.terminal)) < len(wanted):
        if time.perf_counter() > give_up:
            break
        collector.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(collector.changed.wait(), 1.0)
    total_s = time.perf_counter() - started
    statuses: dict[str, int] = {}
    latencies: dict[str, list[float]] = {}
    for nid in wanted:
        found = collector.terminal.get(nid)
        if found is None:
            continue
        statuses[found[0]] = statuses.get(found[0], 0) + 1
        latencies.setdefault(found[0], []).append(found[1])
    done = sum(statuses.values())
    cpu_ms = cpu.per_message_ms(done)
    pg_figures = await pg.per_message(done) if pg is not None else None
    per = max(done, 1)
    return Result(
        label,
        count,
        accept_s,
        total_s,
        statuses,
        latencies,
        cpu_ms,
        pg_figures,
        ((collector.messages - messages) / per, (collector.events - events) / per),
    )


def _table(results: list[Result], rate: float, via: str) -> None:
    pace = f"paced at {rate:.0f}/s" if rate > 0 else "unpaced"
    print(f"\n== {results[0].count} notifications per run, submitted {via}, {pace}")
    header = (
        f"{'run':<34} {'accepted/s':>10} {'delivered/s':>11} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'fallbacks':>9} {'fb p50/p99 ms':>14} {'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        done = sum(r.statuses.values())
        all_lat = [v for values in r.latencies.values() for v in values]
        fb = r.latencies.get("fallback_sent", [])
        fb_text = f"{_pct(fb, 0.5) * 1000:.0f}/{_pct(fb, 0.99) * 1000:.0f}" if fb else "-"
        print(
            f"{r.label:<34} {r.count / r.accept_s:>10.0f} {done / r.total_s:>11.0f}"
            f" {_pct(all_lat, 0.5) * 1000:>7.0f} {_pct(all_lat, 0.99) * 1000:>7.0f}"
            f" {len(fb):>9} {fb_text:>14} {r.statuses.get('failed', 0):>6}"
        )
        if done < r.count:
            print(f"   !! only {done} of {r.count} reached a terminal status")
    print("\nCPU ms per notification (utime+stime from /proc; postgres = the bench DB's backends)")
    names = list(results[0].cpu_ms)
    print(f"{'run':<34} " + " ".join(f"{n:>11}" for n in names))
    for r in results:
        print(f"{r.label:<34} " + " ".join(f"{r.cpu_ms[n]:>11.3f}" for n in names))
    print("\nstatus events per notification (delivery.*, batched into AMQP messages)")
    print(f"{'run':<34} {'messages':>11} {'events':>11}")
    for r in results:
        print(f"{r.label:<34} {r.events[0]:>11.3f} {r.events[1]:>11.2f}")
    if results[0].pg is not None:
        print(
            "\nPostgreSQL per notification (WAL: the whole server's;"
            " statements: pg_stat_statements)"
        )
        print(f"{'run':<34} {'WAL bytes':>11} {'statements':>11}")
        for r in results:
            assert r.pg is not None
            statements = r.pg["statements"]
            shown = "-" if statements is None else f"{statements:.2f}"
            print(f"{r.label:<34} {r.pg['wal_bytes']:>11,.0f} {shown:>11}")


def single_requests(label: str, count: int, first: int) -> list[bytes]:
    """Signed ``POST /api/v1/notifications`` requests with unique idempotency keys."""
    requests = []
    for n in range(first, first + count):
        body = json.dumps(
            {
                "account": DEMO.code,
                "event_type": "balance_change",
                "to": {"openid": f"o-single-{label}-{n:07d}", "phone": "13800000001"},
                "data": DATA,
                "priority": "alert",
                "idempotency_key": f"single-{label}-{n}",
                "fallback": "sms",
            }
        ).encode()
        headers = signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(
            (
                "POST /api/v1/notifications HTTP/1.1\r\nHost: bench\r\n"
                f"Content-Type: application/json\r\n{head}Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
    return requests


async def compare_single_posts(
    ports: dict[str, int], pids: dict[str, int], args: argparse.Namespace
) -> None:
    """Alternating rounds of single POSTs, wxhub against the peer; prints the medians."""
    counter = iter(range(0, 10**9, 100_000))

    async def one(server: str, count: int) -> tuple[LoadResult, float]:
        requests = single_requests(server, count, next(counter))
        before = cpu_seconds({server: pids[server]})
        result = await run_load(
            "127.0.0.1",
            ports[server],
            requests,
            concurrency=args.single_concurrency,
            seconds=args.single_seconds,
            status=202,
            expect=b'"accepted"',
        )
        used = cpu_seconds({server: pids[server]})[server] - before[server]
        if result.error_samples:
            print(f"  {server} error samples: {result.error_samples[:3]}")
        return result, used * 1000 / max(result.ok, 1)

    # Warm-up, and how many requests a run needs at most.
    fastest = max([(await one(server, 1000))[0].rate for server in ("peer", "wxhub")])
    per_run = int(fastest * args.single_seconds * 3) + 500
    runs: dict[str, list[tuple[LoadResult, float]]] = {"peer": [], "wxhub": []}
    for index in range(args.single_rounds):
        order = ["peer", "wxhub"] if index % 2 == 0 else ["wxhub", "peer"]
        for server in order:
            runs[server].append(await one(server, per_run))
    ratios = [
        w.rate / p.rate
        for (w, _), (p, _) in zip(runs["wxhub"], runs["peer"], strict=True)
        if p.rate
    ]
    print(
        f"\n== single POST /api/v1/notifications, closed loop, concurrency "
        f"{args.single_concurrency}, {args.single_rounds} alternating rounds of "
        f"{args.single_seconds:g} s; medians over rounds, p50/p99 over all requests"
    )
    print("| server | accepted/s | p50 ms | p99 ms | errors | wxhub/peer | CPU ms per POST |")
    print("|--------|-----------:|-------:|-------:|-------:|-----------:|----------------:|")
    for server in ("peer", "wxhub"):
        mine = runs[server]
        latencies = LoadResult(latencies_ms=[v for r, _ in mine for v in r.latencies_ms])
        ratio = f"{median(ratios):.2f}×" if server == "wxhub" else "—"
        print(
            f"| {server:<6} | {median([r.rate for r, _ in mine]):>10,.0f} "
            f"| {latencies.percentile(50):>6.1f} | {latencies.percentile(99):>6.1f} "
            f"| {sum(r.errors for r, _ in mine):>6} | {ratio:>10} "
            f"| {median([cpu for _, cpu in mine]):>15.2f} |"
        )
    for server in ("peer", "wxhub"):
        print(f"  {server:<6} per round: " + " ".join(f"{r.rate:,.0f}" for r, _ in runs[server]))
    erring = [server for server in ("peer", "wxhub") if any(r.errors for r, _ in runs[server])]
    if erring:
        print(
            f"  NOT A VALID COMPARISON: {' and '.join(erring)} answered errors "
            "(samples above); a server that fails requests is not doing the same work"
        )


def _print_calls(profile: Path, notifications: int) -> None:
    """Print the dispatcher's Python function calls per notification from its cProfile file."""
    calls = pstats.Stats(str(profile)).total_calls  # type: ignore[attr-defined]
    print(
        f"\ndispatcher under cProfile: {calls:,} Python function calls for {notifications:,}"
        f" notifications (startup included): {calls / max(notifications, 1):,.0f} per notification;"
        f" statistics in {profile}"
    )


async def _spawn(module: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await _spawn_args([module], env, log)


async def _spawn_args(
    argv: list[str], env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", *argv, cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def _wait_http(url: str, process: asyncio.subprocess.Process, seconds: float) -> bool:
    async with httpx.AsyncClient() as client:
        for _ in range(int(seconds * 10)):
            if process.returncode is not None:
                return False
            try:
                if (await client.get(url)).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    return False


async def main() -> None:
    """Set up, run the clean and the failing scenario, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=0.0, help="submissions per second, 0: max")
    parser.add_argument("--batch", type=int, default=100, help="notifications per API call")
    parser.add_argument("--fail-percent", type=float, default=20.0)
    parser.add_argument("--direct", action="store_true", help="insert+publish, not the API")
    parser.add_argument("--logs", default="var/bench-outbound", help="child process logs")
    parser.add_argument("--single-rounds", type=int, default=3)
    parser.add_argument("--single-seconds", type=float, default=4.0)
    parser.add_argument("--single-concurrency", type=int, default=32)
    parser.add_argument(
        "--single-only", action="store_true", help="only the single-POST comparison"
    )
    parser.add_argument(
        "--profile-dispatcher",
        metavar="FILE",
        help="run the dispatcher under cProfile, write its statistics to FILE and print its"
        " Python function calls per notification (a count that does not depend on the load)",
    )
    parser.add_argument(
        "--pg-stats",
        action="store_true",
        help="print WAL bytes and SQL statements per notification (WAL is the whole server's:"
        " use a PostgreSQL of the bench's own; statements need pg_stat_statements)",
    )
    add_server_arguments(parser)
    args = parser.parse_args()
    logs = ROOT / args.logs
    logs.mkdir(parents=True, exist_ok=True)

    database = await fresh_postgres(args.database_url, DATABASE_SUFFIX)
    database_name = urlsplit(database).path.lstrip("/")
    await upgrade_async(database)
    engine = make_engine(database, pool_size=8)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await seed_outbound_demo(session, SecretBox(SECRET_KEY))
        account = await session.scalar(select(Account).where(Account.code == DEMO.code))
        assert account is not None
        account_id = account.id

    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    wechat_port, sms_port, core_port = _free_port(), _free_port(), _free_port()
    gateway_port = _free_port()
    base_env = {
        **os.environ,
        "WXHUB_LOG_LEVEL": "WARNING",
        "WXHUB_DATABASE_URL": database,
        "WXHUB_AMQP_URL": args.amqp_url,
        "WXHUB_BUS_NAMESPACE": namespace,
        "WXHUB_SECRET_KEY": SECRET_KEY,
    }
    sandboxes = await _spawn(
        "sandboxes",
        {
            **base_env,
            "WXHUB_WECHAT_SANDBOX_PORT": str(wechat_port),
            "WXHUB_SMS_SANDBOX_PORT": str(sms_port),
            "WXHUB_CORE_SANDBOX_PORT": str(core_port),
        },
        logs / "sandboxes.log",
    )
    bus = AmqpBus(args.amqp_url, namespace=namespace, prefetch=2000)
    await bus.connect()
    await bus.declare(default_topology())
    await bus.declare(Topology(queues=[Queue("bench.delivery", [(EVENTS, "delivery.*")])]))
    collector = Collector()
    events = await bus.consume("bench.delivery", collector.on_event, prefetch=200)
    profile = Path(args.profile_dispatcher).resolve() if args.profile_dispatcher else None
    if profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
    dispatcher = await _spawn_args(
        # cProfile writes its statistics when the dispatcher exits after SIGTERM.
        ["cProfile", "-o", str(profile), "-m", "services.dispatcher"]
        if profile
        else ["services.dispatcher"],
        {
            **base_env,
            "WXHUB_WECHAT_API_BASE": f"http://127.0.0.1:{wechat_port}",
            "WXHUB_SMS_URL": f"http://127.0.0.1:{sms_port}/send",
            "WXHUB_DISPATCHER_PORT": str(_free_port()),
        },
        logs / "dispatcher.log",
    )
    processes = [dispatcher, sandboxes]
    api: httpx.AsyncClient | None = None
    via = "directly (row insert + publish)"
    if not args.direct:
        gateway = await _spawn(
            "services.gateway",
            {**base_env, "WXHUB_GATEWAY_PORT": str(gateway_port)},
            logs / "gateway.log",
        )
        processes.append(gateway)
        if await _wait_http(f"http://127.0.0.1:{gateway_port}/readyz", gateway, 30):
            api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=60)
            via = "through POST /api/v1/notifications:batch"
        else:
            print(f"gateway not ready (see {logs / 'gateway.log'}): submitting directly")
    peer: asyncio.subprocess.Process | None = None
    peer_port = _free_port()
    if api is not None:
        peer = await _spawn_args(
            ["bench.peers.notifications_api", str(peer_port)],
            {
                **base_env,
                "PEER_DATABASE_URL": database.replace("+asyncpg", ""),
                "PEER_AMQP_URL": args.amqp_url,
                # The bus prefixes exchange names with its namespace and a dot.
                "PEER_EXCHANGE": f"{namespace}.{OUTBOUND}",
                "PEER_SYSTEM": DEMO_SYSTEM.code,
                "PEER_SECRET": DEMO_SYSTEM.secret,
            },
            logs / "peer.log",
        )
        processes.append(peer)
        await wait_listening(peer_port)
    groups: dict[str, Any] = {"dispatcher": dispatcher.pid}
    if api is not None:
        groups["gateway"] = gateway.pid
    groups["postgres"] = lambda: postgres_backends(database_name)
    groups.update(broker_pids())
    groups.pop("redis", None)
    groups["sandboxes"] = sandboxes.pid
    cpu = CpuMeter(groups)
    print("processes:", {k: v for k, v in groups.items() if isinstance(v, int)}, flush=True)
    submitter = Submitter(api=api, bus=bus, sessions=sessions, account_id=account_id)
    pg: PgMeter | None = None
    if args.pg_stats:
        pg = PgMeter(database, database_name)
        await pg.connect()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{wechat_port}") as control:
            if not await _wait_http(
                f"http://127.0.0.1:{wechat_port}/__sandbox__/stats", sandboxes, 10
            ):
                raise RuntimeError("sandboxes did not start")
            common: dict[str, Any] = {
                "submitter": submitter,
                "collector": collector,
                "rate": args.rate,
                "batch": args.batch,
                "cpu": cpu,
                "pg": pg,
            }
            await _run("warm-up", "w", min(2000, args.count), **common)
            if api is not None and peer is not None and args.single_rounds > 0:
                await compare_single_posts(
                    {"peer": peer_port, "wxhub": gateway_port},
                    {"peer": peer.pid, "wxhub": groups["gateway"]},
                    args,
                )
            if args.single_only:
                return
            clean = await _run("all WeChat calls succeed", "a", args.count, **common)
            await control.post(
                "/__sandbox__/faults",
                json={
                    "path": "/cgi-bin/message/template/send",
                    "errcode": 43101,
                    "percent": args.fail_percent,
                    "seed": 7,
                },
            )
            failing = await _run(
                f"{args.fail_percent:.0f} % WeChat fail → SMS", "f", args.count, **common
            )
            _table([clean, failing], args.rate, via)
    finally:
        if api is not None:
            await api.aclose()
        if pg is not None:
            await pg.close()
        for process in processes:
            await stop_process(process)
        if profile is not None and profile.exists():
            _print_calls(profile, len(collector.terminal))
        await events.cancel()
        await bus.delete(default_topology())
        await bus.delete(
            Topology(queues=[Queue("bench.delivery"), Queue("dispatcher.interactions")])
        )
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
