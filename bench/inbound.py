"""``make bench-inbound``: signed callbacks through gateway → RabbitMQ → engine → passive reply.

Starts one engine and one gateway process on RabbitMQ + PostgreSQL + Redis (the production wiring),
and a bare ASGI app under the same server settings as the ceiling. The load generator runs in this
process pinned to one core, sends pre-built callbacks (every one a unique MsgId, so none is a
duplicate) and prints callbacks/s, p50/p99 latency and errors: a closed-loop maximum and a
fixed-rate run at the target rate, in plaintext and AES mode.

    python -m bench.inbound [--seconds 10] [--rate 1000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import uuid
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


class CpuMeter:
    """CPU time used by a set of processes (from /proc), to report CPU ms per callback."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._tick = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _sample(self) -> dict[str, float]:
        sample = {}
        for name, pid in self.pids.items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                sample[name] = (int(fields[11]) + int(fields[12])) / self._tick
            except (OSError, IndexError):
                sample[name] = 0.0
        return sample

    def reset(self) -> None:
        """Start measuring from now."""
        self._start = self._sample()

    def per_call_ms(self, calls: int) -> str:
        now = self._sample()
        used = {k: (now[k] - self._start[k]) * 1000 / max(calls, 1) for k in now}
        self._start = now
        return " ".join(f"{k} {v:.2f}" for k, v in used.items())


def broker_pids() -> dict[str, int]:
    """PIDs of the local RabbitMQ and Redis servers, when visible."""
    found = {}
    for name, pattern in (("rabbitmq", "beam.smp"), ("redis", "redis-server")):
        out = subprocess.run(["pgrep", "-o", "-f", pattern], capture_output=True, text=True)
        if out.stdout.strip():
            found[name] = int(out.stdout.split()[0])
    return found


def row(label: str, result: LoadResult, ceiling: float | None = None) -> str:
    ratio = f"{result.rate / ceiling:6.1%}" if ceiling else "     —"
    return (
        f"| {label:<34} | {result.rate:>9,.0f} | {result.percentile(50):>7.1f} "
        f"| {result.percentile(99):>7.1f} | {result.errors:>6} | {ratio} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each fixed-rate run")
    parser.add_argument("--rate", type=float, default=1000.0, help="target callbacks/s")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--max-count", type=int, default=20000, help="callbacks in a closed-loop run"
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
    ceiling_port = free_port()
    ceiling = subprocess.Popen(
        [sys.executable, "-m", "bench.ceiling", str(ceiling_port)], cwd=REPO_ROOT
    )
    try:
        engine = group.start("engine", port_setting="engine_port")
        gateway = group.start("gateway", port_setting="gateway_port")
        await asyncio.gather(
            asyncio.to_thread(engine.wait_ready), asyncio.to_thread(gateway.wait_ready)
        )
        await asyncio.sleep(0.5)
        # The servers inherited both cores; the load generator keeps to the last one.
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})

        fixed = int(args.rate * args.seconds)
        ids = iter(range(8_000_000_000_000_000_000, 9_000_000_000_000_000_000, 10_000_000))
        path = "/wechat/demo"
        results: list[str] = []
        cpu_notes: list[str] = []
        meter = CpuMeter(
            {"gateway": gateway.process.pid, "engine": engine.process.pid, **broker_pids()}
        )
        warm = build_requests(2000, encrypt=False, first_id=next(ids), path=path)
        await run_load(
            "127.0.0.1", gateway.port, warm, concurrency=args.concurrency, expect=b"<xml>"
        )

        ceiling_requests = build_requests(
            args.max_count, encrypt=False, first_id=next(ids), path=path
        )
        await run_load(
            "127.0.0.1", ceiling_port, ceiling_requests[:2000], concurrency=args.concurrency
        )
        ceiling_result = await run_load(
            "127.0.0.1",
            ceiling_port,
            ceiling_requests,
            concurrency=args.concurrency,
            expect=b"success",
        )
        results.append(row("ceiling: bare ASGI, max", ceiling_result))
        for encrypt in (False, True):
            mode = "AES" if encrypt else "plaintext"
            closed = build_requests(args.max_count, encrypt=encrypt, first_id=next(ids), path=path)
            meter.reset()
            result = await run_load(
                "127.0.0.1", gateway.port, closed, concurrency=args.concurrency, expect=b"<xml>"
            )
            results.append(row(f"wxhub {mode}, max (closed loop)", result, ceiling_result.rate))
            cpu_notes.append(f"{mode} max: CPU ms/callback {meter.per_call_ms(len(closed))}")
            paced = build_requests(fixed, encrypt=encrypt, first_id=next(ids), path=path)
            meter.reset()
            result = await run_load(
                "127.0.0.1",
                gateway.port,
                paced,
                concurrency=max(args.concurrency, 64),
                rate=args.rate,
                expect=b"<xml>",
            )
            results.append(
                row(f"wxhub {mode}, fixed {args.rate:,.0f}/s", result, ceiling_result.rate)
            )
            cpu_notes.append(f"{mode} fixed: CPU ms/callback {meter.per_call_ms(len(paced))}")
            if result.error_samples:
                print(f"  {mode} error samples: {result.error_samples[:3]}")
        print()
        print(f"bench-inbound: {TEXT!r} callbacks, gateway → RabbitMQ → engine → passive reply")
        print(f"concurrency {args.concurrency}; load generator on CPU {cpu} of {os.cpu_count()}")
        print(f"| {'run':<34} | callbacks/s | p50 ms | p99 ms | errors | vs ceiling |")
        print(f"|{'-' * 36}|-----------:|-------:|-------:|-------:|-----------:|")
        for line in results:
            print(line)
        for note in cpu_notes:
            print(f"  {note}")
    finally:
        group.stop_all()
        ceiling.terminate()
        ceiling.wait()
        bus = AmqpBus(args.amqp, namespace=namespace)
        await bus.connect()
        await bus.delete(default_topology())
        await bus.close()
        await drop_database(args.database, db_url)


if __name__ == "__main__":
    asyncio.run(main())
