"""``python -m bench.stats``: events → RabbitMQ (``wx.events``) → stats worker → PostgreSQL.

Runs on a fresh ``<database>_benchstats`` next to ``WXHUB_TEST_DATABASE_URL`` and the RabbitMQ of
``WXHUB_TEST_AMQP_URL``, with one stats service as a child process. Offers ``--rate`` events/s
for ``--seconds`` as the platform publishes them: batches of ``--batch`` items, alternating
``delivery.delivered`` and ``inbound.handled``. Every second it prints the offered and
published rate, the ingest rate (events committed to ``stats_events``) and the lag (published,
not yet stored). ``--kill-at S`` kills the worker with SIGKILL S seconds in and starts a new one,
to show that a crash under load neither loses nor double-counts: at the end the raw table and
every rollup grain must hold exactly the number of events published.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from bench.servers import add_server_arguments
from libs.common.bus import EVENTS, AmqpBus, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import ROLLUP_TABLES
from libs.common.schemas._envelope import new_id
from wxhub.processes import stop_process
from wxhub.scratch_bus import delete_topologies
from wxhub.scratch_db import fresh_postgres

ROOT = Path(__file__).resolve().parents[1]
DATABASE_SUFFIX = "benchstats"

_DELIVERED = (
    '{{"message_id":"{id}","occurred_at":"{at}","notification_id":"{id}","account":"acct{a}",'
    '"status":"delivered","previous":"sending","channel":"wechat_template","priority":"alert",'
    '"accepted_at":"{at}"}}'
)
_INBOUND = (
    '{{"message_id":"{id}","occurred_at":"{at}","account":"acct{a}","kind":"text",'
    '"openid":"o{id}","answer":"balance","outcome":"answered","handle_ms":2.5}}'
)


def batch_body(key: str, items: int, seq: int) -> bytes:
    """One batch message of ``items`` fresh events (JSON as the publishers' schemas write it)."""
    at = datetime.now(UTC).isoformat()
    template = _DELIVERED if key == "delivery.delivered" else _INBOUND
    parts = [template.format(id=new_id(), at=at, a=(seq + i) % 20) for i in range(items)]
    return f'{{"message_id":"{new_id()}","items":[{",".join(parts)}]}}'.encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.stats", cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def _wait_ready(port: int, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                raise RuntimeError("stats worker exited during start-up")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("stats worker not ready after 30 s")


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    """Offer the load, watch ingest and lag, check the totals."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=12_000, help="events offered per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=100, help="events per bus message")
    parser.add_argument("--kill-at", type=float, default=0.0, help="SIGKILL the worker at S s")
    parser.add_argument("--logs", default="var/bench-stats")
    add_server_arguments(parser)
    args = parser.parse_args()
    logs = ROOT / args.logs
    logs.mkdir(parents=True, exist_ok=True)
    database = await fresh_postgres(args.database_url, DATABASE_SUFFIX)
    await upgrade_async(database)
    engine = make_engine(database, pool_size=2)
    sessions = make_sessionmaker(engine)
    namespace = f"benchstats-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    env = {
        **os.environ,
        "WXHUB_LOG_LEVEL": "WARNING",
        "WXHUB_DATABASE_URL": database,
        "WXHUB_AMQP_URL": args.amqp_url,
        "WXHUB_BUS_NAMESPACE": namespace,
        "WXHUB_STATS_PORT": str(port),
        "WXHUB_SECRET_KEY": "bench-stats-secret-key",
    }
    bus = AmqpBus(args.amqp_url, namespace=namespace)
    await bus.connect()
    await bus.declare(default_topology())
    worker = await _spawn(env, logs / "stats.log")
    published = 0
    try:
        await _wait_ready(port, worker)

        async def stored() -> int:
            async with engine.connect() as conn:
                return int(
                    (await conn.execute(text("SELECT count(*) FROM stats_events"))).scalar_one()
                )

        print(f"offering {args.rate} events/s for {args.seconds} s in batches of {args.batch}")
        print(f"{'t s':>5} {'offered/s':>10} {'published/s':>12} {'ingested/s':>11} {'lag':>8}")
        messages_per_tick = max(1, round(args.rate / args.batch / 10))
        loop = asyncio.get_running_loop()
        start = loop.time()
        cpu_start = _cpu_s(worker.pid)
        seq = 0
        last_report, last_published, last_stored = start, 0, 0
        killed = False
        lags: list[int] = []
        ingest_rates: list[float] = []
        tick = 0
        while loop.time() - start < args.seconds:
            tick += 1
            for _ in range(messages_per_tick):
                key = "delivery.delivered" if seq % 2 == 0 else "inbound.handled"
                await bus.publish(EVENTS, key, batch_body(key, args.batch, seq))
                seq += 1
                published += args.batch
            if args.kill_at and not killed and loop.time() - start >= args.kill_at:
                worker.send_signal(signal.SIGKILL)
                await worker.wait()
                print(f"{loop.time() - start:5.1f} -- stats worker killed (SIGKILL), restarting")
                worker = await _spawn(env, logs / "stats.log")
                killed = True
            now = loop.time()
            if now - last_report >= 1.0:
                count = await stored()
                span = now - last_report
                ingest = (count - last_stored) / span
                lag = published - count
                lags.append(lag)
                ingest_rates.append(ingest)
                rate_out = (published - last_published) / span
                print(
                    f"{now - start:5.1f} {args.rate:>10} {rate_out:>12.0f}"
                    f" {ingest:>11.0f} {lag:>8}",
                    flush=True,
                )
                last_report, last_published, last_stored = now, published, count
            await asyncio.sleep(max(0.0, start + tick * 0.1 - loop.time()))
        offered_s = loop.time() - start
        drain_start = loop.time()
        while await stored() < published and loop.time() - drain_start < 120:
            await asyncio.sleep(0.5)
        total_s = loop.time() - start
        final = await stored()
        cpu = _cpu_s(worker.pid) - (0.0 if killed else cpu_start)
        async with sessions() as session:
            rollups = {
                grain: int(
                    await session.scalar(select(func.coalesce(func.sum(table.c.count), 0))) or 0
                )
                for grain, table in ROLLUP_TABLES.items()
            }
        print()
        print(f"published {published} events in {offered_s:.1f} s = {published / offered_s:.0f}/s")
        print(f"stored    {final} events; all stored after {total_s:.1f} s")
        print(f"drain after the load stopped: {loop.time() - drain_start - 0.0:.1f} s")
        half = len(lags) // 2
        if lags:
            print(
                f"lag (events): first half max {max(lags[:half] or [0])}, "
                f"second half max {max(lags[half:])}, at end of load {lags[-1]}"
            )
            print(f"mean ingest while offering: {sum(ingest_rates) / len(ingest_rates):.0f}/s")
        if not killed:
            print(f"stats worker CPU: {cpu * 1e6 / max(final, 1):.1f} µs per event")
        print(f"rollup totals: {rollups}")
        exact = final == published and all(n == published for n in rollups.values())
        print("exactly once: " + ("yes" if exact else "NO — counts differ from published"))
    finally:
        await stop_process(worker)
        await delete_topologies(bus)
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
