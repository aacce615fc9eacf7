"""``python -m bench.outbound``: notifications → RabbitMQ → dispatcher → WeChat sandbox.

Runs on PostgreSQL (a fresh ``wxhub_bench`` database next to ``WXHUB_TEST_DATABASE_URL``) and the
RabbitMQ of ``WXHUB_TEST_AMQP_URL``, with the sandboxes and one dispatcher as child processes.
Notifications are accepted the way the gateway accepts them (row inserted, then
``OutboundRequested`` published with a confirm) directly from here, not through the HTTP API.
Two runs: all WeChat calls succeed; then 20 % of template sends answer 43101 (user refuses:
a verdict, so those fall back to SMS). Prints accepted/s, delivered/s and the p50/p99 latency
from acceptance to the terminal status event.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from sqlalchemy import insert, select

from libs.common.bus import EVENTS, OUTBOUND, AmqpBus, Delivery, Queue, Topology, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.demo import DEMO
from libs.common.db.demo_outbound import seed_outbound_demo
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account, Notification
from libs.common.schemas.events import DeliveryStatusChanged
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-outbound-secret-key"
TERMINAL = {"delivered", "fallback_sent", "failed"}
DATA = {"account_tail": "1234", "time": "10:00", "amount": "100.00", "balance": "900.00"}


@dataclass
class Result:
    """Figures of one run."""

    label: str
    count: int
    accept_s: float
    total_s: float
    statuses: dict[str, int]
    latencies: dict[str, list[float]]


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


async def _fresh_database(base_url: str, name: str) -> str:
    parts = urlsplit(base_url.replace("+asyncpg", ""))
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlsplit(base_url)._replace(path=f"/{name}").geturl()


async def _run(
    label: str,
    count: int,
    *,
    bus: AmqpBus,
    sessions: object,
    account_id: int,
    events: asyncio.Queue[DeliveryStatusChanged],
) -> Result:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    assert isinstance(sessions, async_sessionmaker)
    maker: async_sessionmaker[AsyncSession] = sessions
    ids = [uuid.uuid4().hex for _ in range(count)]
    pending = set(ids)
    statuses: dict[str, int] = {}
    latencies: dict[str, list[float]] = {}
    started = time.perf_counter()

    async def accept(chunk: list[str]) -> None:
        now = datetime.now(UTC)
        async with maker.begin() as session:
            await session.execute(
                insert(Notification),
                [
                    {
                        "id": nid,
                        "account_id": account_id,
                        "event_type": "balance_change",
                        "priority": "alert",
                        "openid": f"o-bench-{nid[:12]}",
                        "phone": "13800000001",
                        "data": DATA,
                        "fallback": "sms",
                        "deadline_at": now + timedelta(seconds=30),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for nid in chunk
                ],
            )

        async def publish(nid: str) -> None:
            request = OutboundRequested(
                message_id=nid, account=DEMO.code, priority="alert", notification_id=nid
            )
            await bus.publish(OUTBOUND, "alert.wechat", request.to_bytes(), message_id=nid)

        await asyncio.gather(*(publish(nid) for nid in chunk))

    async def collect() -> None:
        while pending:
            event = await events.get()
            if event.status in TERMINAL and event.notification_id in pending:
                pending.discard(event.notification_id)
                statuses[event.status] = statuses.get(event.status, 0) + 1
                if event.accepted_at is not None:
                    latency = (event.occurred_at - event.accepted_at).total_seconds()
                    latencies.setdefault(event.status, []).append(latency)

    collector = asyncio.create_task(collect())
    chunk_size = 500
    accepting = asyncio.Semaphore(4)

    async def accept_limited(chunk: list[str]) -> None:
        async with accepting:
            await accept(chunk)

    await asyncio.gather(
        *(accept_limited(ids[i : i + chunk_size]) for i in range(0, count, chunk_size))
    )
    accept_s = time.perf_counter() - started
    await asyncio.wait_for(collector, timeout=max(120.0, count / 100))
    total_s = time.perf_counter() - started
    return Result(label, count, accept_s, total_s, statuses, latencies)


def _print(result: Result) -> None:
    done = sum(result.statuses.values())
    all_lat = [v for values in result.latencies.values() for v in values]
    print(f"\n== {result.label}: {result.count} notifications")
    print(f"accepted/s           {result.count / result.accept_s:10.0f}")
    print(f"delivered/s          {done / result.total_s:10.0f}   (terminal, end to end)")
    print(f"statuses             {result.statuses}")
    p50, p99 = _pct(all_lat, 0.5) * 1000, _pct(all_lat, 0.99) * 1000
    print(f"latency p50 / p99    {p50:8.0f} ms / {p99:.0f} ms")
    fallback = result.latencies.get("fallback_sent", [])
    if fallback:
        print(
            f"fallback p50 / p99   {_pct(fallback, 0.5) * 1000:8.0f} ms / "
            f"{_pct(fallback, 0.99) * 1000:.0f} ms   ({len(fallback)} fallbacks)"
        )
    if all_lat:
        print(f"latency mean         {statistics.fmean(all_lat) * 1000:8.0f} ms")


async def main() -> None:
    """Set up, run the clean and the failing scenario, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--fail-percent", type=float, default=20.0)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "WXHUB_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/wxhub_test"
        ),
    )
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("WXHUB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    args = parser.parse_args()

    database = await _fresh_database(args.database_url, "wxhub_bench")
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
    base_env = {**os.environ, "WXHUB_LOG_LEVEL": "WARNING"}
    sandboxes = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandboxes", cwd=ROOT,
        env={
            **base_env,
            "WXHUB_WECHAT_SANDBOX_PORT": str(wechat_port),
            "WXHUB_SMS_SANDBOX_PORT": str(sms_port),
            "WXHUB_CORE_SANDBOX_PORT": str(core_port),
        },
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    bus = AmqpBus(args.amqp_url, namespace=namespace, prefetch=2000)
    await bus.connect()
    await bus.declare(default_topology())
    await bus.declare(Topology(queues=[Queue("bench.delivery", [(EVENTS, "delivery.*")])]))
    events: asyncio.Queue[DeliveryStatusChanged] = asyncio.Queue()

    async def on_event(delivery: Delivery) -> None:
        events.put_nowait(DeliveryStatusChanged.from_bytes(delivery.message.body))
        await delivery.ack()

    await bus.consume("bench.delivery", on_event, prefetch=2000)
    dispatcher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.dispatcher", cwd=ROOT,
        env={
            **base_env,
            "WXHUB_DATABASE_URL": database,
            "WXHUB_AMQP_URL": args.amqp_url,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_WECHAT_API_BASE": f"http://127.0.0.1:{wechat_port}",
            "WXHUB_SMS_URL": f"http://127.0.0.1:{sms_port}/send",
            "WXHUB_DISPATCHER_PORT": str(_free_port()),
        },
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{wechat_port}") as control:
            for _ in range(100):
                try:
                    await control.get("/__sandbox__/stats")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            warm = await _run(
                "warm-up", 500, bus=bus, sessions=sessions, account_id=account_id, events=events
            )
            del warm
            clean = await _run(
                "all WeChat calls succeed",
                args.count,
                bus=bus,
                sessions=sessions,
                account_id=account_id,
                events=events,
            )
            _print(clean)
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
                f"{args.fail_percent:.0f} % of template sends fail (43101 → SMS fallback)",
                args.count,
                bus=bus,
                sessions=sessions,
                account_id=account_id,
                events=events,
            )
            _print(failing)
    finally:
        for process in (dispatcher, sandboxes):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
        await bus.delete(default_topology())
        await bus.delete(
            Topology(queues=[Queue("bench.delivery"), Queue("dispatcher.interactions")])
        )
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
