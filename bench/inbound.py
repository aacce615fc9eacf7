"""``make bench-inbound``: wxhub's callback path side by side with a plain wechatpy server.

Starts one engine and one gateway process on RabbitMQ + PostgreSQL + Redis (the production wiring),
the peer (``bench.peers.wechatpy_callback``: wechatpy + FastAPI verifying, decrypting, parsing and
answering in one process) and the ceiling (``bench.ceiling``: a bare ASGI app answering a
constant), all three under the gateway's uvicorn settings. The load generator runs in this process
pinned to one core and sends pre-built signed callbacks (every one sent to wxhub a unique MsgId,
so none is a duplicate) for ``--seconds`` per run, closed loop.

The machine may be shared, so absolute figures drift: the three servers run in alternating rounds
(ceiling, peer, wxhub, then the reverse order), plaintext and AES, and the figures are medians
over ``--rounds`` with the ratio wxhub/peer taken within each round. CPU ms per callback comes
from /proc for every process on the path; RabbitMQ and Redis serve other work too, so their
background rate, measured while the peer runs, is subtracted. A last fixed-rate run checks
wxhub's latency at ``--rate`` (default: 80 % of its measured maximum).

``--baseline DIR`` adds a second wxhub (gateway and engine) run from another source tree, e.g.
``git worktree add /tmp/wxhub-before HEAD~1``, to the same alternating rounds and prints the ratio
wxhub/baseline: the way to tell whether a change moved the figures on a loaded machine.

    python -m bench.inbound [--rounds 3] [--seconds 4] [--concurrency 32] [--rate 0]
                            [--baseline DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.loadgen import LoadResult, run_load
from libs.common.bus import AmqpBus, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.secret_box import SecretBox
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO, seed_demo
from wxhub.processes import REPO_ROOT, ProcessGroup, free_port

SECRET_KEY = "bench-secret-key"
TEXT = "帮助"  # a configured keyword answered from the engine's cached configuration


def build_requests(count: int, *, encrypt: bool, first_id: int, path: str) -> list[bytes]:
    """Pre-signed (and pre-encrypted) callback requests with unique MsgIds."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    requests = []
    for i in range(count):
        xml = pusher.text(f"oBench{i % 5000:05d}", TEXT, msg_id=first_id + i)
        params, body = pusher.sign(xml, encrypt=encrypt)
        head = (
            f"POST {path}?{urlencode(params)} HTTP/1.1\r\nHost: bench\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def prepare_database(admin_url: str) -> str:
    """A fresh database with the demo account."""
    import asyncpg

    name = f"wxhub_bench_{uuid.uuid4().hex[:6]}"
    dsn = admin_url.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await seed_demo(session, SecretBox(SECRET_KEY))
    await engine.dispose()
    return url


async def drop_database(admin_url: str, url: str) -> None:
    import asyncpg

    dsn = admin_url.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


def broker_pids() -> dict[str, int]:
    """PIDs of the local RabbitMQ and Redis servers, when visible."""
    found = {}
    for name, pattern in (("rabbitmq", "beam.smp"), ("redis", "redis-server")):
        out = subprocess.run(["pgrep", "-o", "-f", pattern], capture_output=True, text=True)
        if out.stdout.strip():
            found[name] = int(out.stdout.split()[0])
    return found


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


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pooled(rounds: list[Round], p: float) -> float:
    latencies = LoadResult(latencies_ms=[v for r in rounds for v in r.result.latencies_ms])
    return latencies.percentile(p)


def cpu_per_callback(rounds: list[Round], names: list[str], background: dict[str, float]) -> str:
    """Median CPU ms per callback, in total and per process (brokers net of their background)."""

    def used(r: Round, name: str) -> float:
        own = r.cpu_s[name] - background.get(name, 0.0) * r.result.elapsed_s
        return max(0.0, own) * 1000 / max(r.result.ok, 1)

    total = median([sum(used(r, name) for name in names) for r in rounds])
    if len(names) == 1:
        return f"{total:.2f}"
    parts = ", ".join(f"{name} {median([used(r, name) for r in rounds]):.2f}" for name in names)
    return f"{total:.2f} ({parts})"


def paired(rounds: list[Round], mode: str, server: str, other: str) -> float:
    """Median over rounds of ``server``'s rate divided by ``other``'s in the same round."""

    def rates(name: str) -> list[float]:
        return [r.result.rate for r in rounds if r.server == name and r.mode == mode]

    pairs = zip(rates(server), rates(other), strict=True)
    return median([mine / theirs for mine, theirs in pairs if theirs])


def report(rounds: list[Round], servers: Servers, args: argparse.Namespace) -> list[str]:
    """The table of medians, the ratios and the CPU per callback, as printed lines."""
    lines = [
        f"| {'server':<8} | {'mode':<9} | callbacks/s | p50 ms | p99 ms | errors "
        "| wxhub/peer | CPU ms per callback |",
        "|----------|-----------|------------:|-------:|-------:|-------:|-----------:|---|",
    ]
    shared = list(servers.pids["shared"])
    for mode in ("plaintext", "AES"):
        # The brokers' CPU per second while only the peer ran: other work on the machine.
        background = {
            name: sum(r.cpu_s[name] for r in rounds if r.server == "peer" and r.mode == mode)
            / max(
                sum(r.result.elapsed_s for r in rounds if r.server == "peer" and r.mode == mode),
                1e-9,
            )
            for name in shared
        }

        for server in servers.names:
            mine = [r for r in rounds if r.server == server and r.mode == mode]
            wxhub_like = server in ("wxhub", "baseline")
            names = list(servers.pids[server]) + (shared if wxhub_like else [])
            ratio = f"{paired(rounds, mode, server, 'peer'):.2f}×" if wxhub_like else "—"
            lines.append(
                f"| {server:<8} | {mode:<9} | {median([r.result.rate for r in mine]):>11,.0f} "
                f"| {pooled(mine, 50):>6.1f} | {pooled(mine, 99):>6.1f} "
                f"| {sum(r.result.errors for r in mine):>6} | {ratio:>10} "
                f"| {cpu_per_callback(mine, names, background)} |"
            )
        if "baseline" in servers.names:
            against = paired(rounds, mode, "wxhub", "baseline")
            lines.append(f"  {mode} wxhub/baseline: {against:.2f}× (median of the rounds' ratios)")
        lines.append(
            f"  {mode} background while the peer ran (CPU ms/s, subtracted): "
            + ", ".join(f"{k} {v * 1000:.0f}" for k, v in background.items())
        )
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per mode")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="fixed-rate run, callbacks/s (0: 80 %% of max)"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--baseline", type=Path, help="source tree of a second wxhub to compare with"
    )
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "WXHUB_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--amqp",
        default=os.environ.get("WXHUB_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    parser.add_argument("--queue-type", default="quorum", choices=["quorum", "classic"])
    parser.add_argument(
        "--redis", default=os.environ.get("WXHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()

    db_url = await prepare_database(args.database)
    namespace = f"bench{uuid.uuid4().hex[:6]}."
    log_dir = REPO_ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    group = ProcessGroup(
        env={
            "WXHUB_ENV": "test",
            "WXHUB_DATABASE_URL": db_url,
            "WXHUB_AMQP_URL": args.amqp,
            "WXHUB_REDIS_URL": args.redis,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_LOG_LEVEL": "WARNING",
            "WXHUB_AMQP_QUEUE_TYPE": args.queue_type,
        },
        log_dir=log_dir,
    )
    baseline_namespace = f"bench{uuid.uuid4().hex[:6]}."
    baseline_group = ProcessGroup(
        env={**group.env, "WXHUB_BUS_NAMESPACE": baseline_namespace},
        log_dir=log_dir,
        cwd=args.baseline.resolve() if args.baseline else REPO_ROOT,
    )
    ports = {"ceiling": free_port(), "peer": free_port()}
    others = {
        "ceiling": subprocess.Popen(
            [sys.executable, "-m", "bench.ceiling", str(ports["ceiling"])], cwd=REPO_ROOT
        ),
        "peer": subprocess.Popen(
            [sys.executable, "-m", "bench.peers.wechatpy_callback", str(ports["peer"])],
            cwd=REPO_ROOT,
        ),
    }
    try:
        engine = group.start("engine", port_setting="engine_port")
        gateway = group.start("gateway", port_setting="gateway_port")
        wxhub_pids = {"wxhub": {"gateway": gateway.process.pid, "engine": engine.process.pid}}
        if args.baseline:
            base_engine = baseline_group.start("engine", port_setting="engine_port")
            base_gateway = baseline_group.start("gateway", port_setting="gateway_port")
            await asyncio.gather(
                asyncio.to_thread(base_engine.wait_ready),
                asyncio.to_thread(base_gateway.wait_ready),
            )
            ports["baseline"] = base_gateway.port
            wxhub_pids["baseline"] = {
                "gateway": base_gateway.process.pid,
                "engine": base_engine.process.pid,
            }
        await asyncio.gather(
            asyncio.to_thread(engine.wait_ready),
            asyncio.to_thread(gateway.wait_ready),
            *(wait_listening(port) for port in ports.values()),
        )
        await asyncio.sleep(0.5)
        # The servers inherited both cores; the load generator keeps to the last one.
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        ports["wxhub"] = gateway.port
        servers = Servers(
            ports,
            {
                "ceiling": {"ceiling": others["ceiling"].pid},
                "peer": {"peer": others["peer"].pid},
                **wxhub_pids,
                "shared": broker_pids(),
            },
        )
        ids = iter(range(8_000_000_000_000_000_000, 9_000_000_000_000_000_000, 10_000_000))
        path = "/wechat/demo"
        modes = {"plaintext": False, "AES": True}
        reusable = {
            mode: build_requests(2000, encrypt=encrypt, first_id=next(ids), path=path)
            for mode, encrypt in modes.items()
        }
        # Warm-up: every server in every mode, and a first estimate of wxhub's rate.
        estimate = 0.0
        for mode, encrypt in modes.items():
            for server in ("ceiling", "peer"):
                await measure(servers, server, mode, reusable[mode], args=args)
            for server in servers.names[2:]:
                warm = build_requests(1500, encrypt=encrypt, first_id=next(ids), path=path)
                warmed = await measure(servers, server, mode, warm, args=args)
                estimate = max(estimate, warmed.result.rate)
        per_run = int(estimate * args.seconds * 3) + 1000
        rounds: list[Round] = []
        for index in range(args.rounds):
            order = list(servers.names)
            if index % 2:
                order.reverse()
            for mode, encrypt in modes.items():
                for server in order:
                    requests = (
                        build_requests(per_run, encrypt=encrypt, first_id=next(ids), path=path)
                        if server in ("wxhub", "baseline")
                        else reusable[mode]
                    )
                    rounds.append(await measure(servers, server, mode, requests, args=args))
        fixed_lines = []
        for mode, encrypt in modes.items():
            max_rate = median(
                [r.result.rate for r in rounds if r.server == "wxhub" and r.mode == mode]
            )
            rate = args.rate or 0.8 * max_rate
            paced = build_requests(
                int(rate * args.seconds), encrypt=encrypt, first_id=next(ids), path=path
            )
            result = await run_load(
                "127.0.0.1",
                gateway.port,
                paced,
                concurrency=max(args.concurrency, 64),
                rate=rate,
                expect=b"<xml>",
            )
            fixed_lines.append(
                f"| wxhub    | {mode:<9} | fixed {rate:>5,.0f}/s | {result.rate:>11,.0f} "
                f"| {result.percentile(50):>6.1f} | {result.percentile(99):>6.1f} "
                f"| {result.errors:>6} |"
            )
            if result.error_samples:
                fixed_lines.append(f"  {mode} error samples: {result.error_samples[:3]}")
        print()
        print(
            f"bench-inbound: {TEXT!r} callbacks; "
            "wxhub = gateway → RabbitMQ → engine → passive reply"
        )
        print(
            f"{args.rounds} alternating rounds of {args.seconds:g} s per server and mode, "
            f"closed loop, concurrency {args.concurrency}; load generator on CPU {cpu} of "
            f"{os.cpu_count()}; medians over rounds, p50/p99 over all callbacks of the rounds"
        )
        for line in report(rounds, servers, args):
            print(line)
        print()
        print("| server   | mode      | run            | callbacks/s | p50 ms | p99 ms | errors |")
        print("|----------|-----------|----------------|------------:|-------:|-------:|-------:|")
        for line in fixed_lines:
            print(line)
        print()
        print("per round (callbacks/s):")
        for mode in modes:
            for server in servers.names:
                figures = [
                    f"{r.result.rate:,.0f}" for r in rounds if r.server == server and r.mode == mode
                ]
                print(f"  {mode:<9} {server:<8} {' '.join(figures)}")
    finally:
        group.stop_all()
        baseline_group.stop_all()
        for process in others.values():
            process.terminate()
            process.wait()
        for used in (namespace, baseline_namespace) if args.baseline else (namespace,):
            bus = AmqpBus(args.amqp, namespace=used)
            await bus.connect()
            await bus.delete(default_topology())
            await bus.close()
        await drop_database(args.database, db_url)


async def wait_listening(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return


if __name__ == "__main__":
    asyncio.run(main())
