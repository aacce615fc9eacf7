"""The system under test: a scratch PostgreSQL, the sandboxes, a dispatcher, a gateway and the
single-POST peer as child processes, and the bench's own queue of status events."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.inbound import broker_pids, wait_listening
from bench.outbound.meters import postgres_backends
from bench.outbound.scenario import Collector
from bench.outbound.submit import SECRET_KEY, Sessions
from libs.common.bus import (
    EVENTS,
    OUTBOUND,
    AmqpBus,
    Queue,
    Subscription,
    Topology,
    default_topology,
)
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import Account
from libs.common.secret_box import SecretBox
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM, seed_outbound_demo
from wxhub.processes import REPO_ROOT, free_port, stop_process
from wxhub.scratch_bus import delete_topologies
from wxhub.scratch_db import fresh_postgres

# The scratch database is named after the configured one: <database>_bench.
DATABASE_SUFFIX = "bench"
Process = asyncio.subprocess.Process


@dataclass
class Stack:
    """What ``start`` brought up, for the runs and for ``stop_processes`` and ``clean_up``."""

    database: str
    database_name: str
    engine: AsyncEngine
    sessions: Sessions
    account_id: int
    bus: AmqpBus
    collector: Collector
    events: Subscription
    wechat_port: int
    sandboxes: Process
    processes: list[Process]
    # name → pid (or a callable listing pids) of every process whose CPU is measured
    groups: dict[str, Any]
    profile: Path | None
    api: httpx.AsyncClient | None = None
    via: str = "directly (row insert + publish)"
    gateway_port: int = 0
    peer: Process | None = None
    peer_port: int = 0


async def spawn(argv: list[str], env: dict[str, str], log: Path) -> Process:
    """``python -m <argv>`` from the repository root, its output to ``log``."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", *argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )


async def wait_http(url: str, process: Process, seconds: float) -> bool:
    """Whether ``url`` answered 200 within ``seconds`` (False as soon as ``process`` exits)."""
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


async def start(args: argparse.Namespace, logs: Path) -> Stack:
    """A fresh database with the outbound demo, then the processes, the bus and the API client."""
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
    wechat_port, sms_port, core_port = free_port(), free_port(), free_port()
    gateway_port = free_port()
    base_env = {
        **os.environ,
        "WXHUB_LOG_LEVEL": "WARNING",
        "WXHUB_DATABASE_URL": database,
        "WXHUB_AMQP_URL": args.amqp_url,
        "WXHUB_BUS_NAMESPACE": namespace,
        "WXHUB_SECRET_KEY": SECRET_KEY,
    }
    sandboxes = await spawn(
        ["sandboxes"],
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
    dispatcher = await spawn(
        # cProfile writes its statistics when the dispatcher exits after SIGTERM.
        ["cProfile", "-o", str(profile), "-m", "services.dispatcher"]
        if profile
        else ["services.dispatcher"],
        {
            **base_env,
            "WXHUB_WECHAT_API_BASE": f"http://127.0.0.1:{wechat_port}",
            "WXHUB_SMS_URL": f"http://127.0.0.1:{sms_port}/send",
            "WXHUB_DISPATCHER_PORT": str(free_port()),
        },
        logs / "dispatcher.log",
    )
    stack = Stack(
        database=database,
        database_name=database_name,
        engine=engine,
        sessions=sessions,
        account_id=account_id,
        bus=bus,
        collector=collector,
        events=events,
        wechat_port=wechat_port,
        sandboxes=sandboxes,
        processes=[dispatcher, sandboxes],
        groups={"dispatcher": dispatcher.pid},
        profile=profile,
    )
    if not args.direct:
        gateway = await spawn(
            ["services.gateway"],
            {**base_env, "WXHUB_GATEWAY_PORT": str(gateway_port)},
            logs / "gateway.log",
        )
        stack.processes.append(gateway)
        if await wait_http(f"http://127.0.0.1:{gateway_port}/readyz", gateway, 30):
            stack.api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=60)
            stack.via = "through POST /api/v1/notifications:batch"
            stack.gateway_port = gateway_port
            stack.groups["gateway"] = gateway.pid
        else:
            print(f"gateway not ready (see {logs / 'gateway.log'}): submitting directly")
    stack.peer_port = free_port()
    if stack.api is not None:
        stack.peer = await spawn(
            ["bench.peers.notifications_api", str(stack.peer_port)],
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
        stack.processes.append(stack.peer)
        await wait_listening(stack.peer_port)
    stack.groups["postgres"] = lambda: postgres_backends(database_name)
    stack.groups.update(broker_pids())
    stack.groups.pop("redis", None)
    stack.groups["sandboxes"] = sandboxes.pid
    return stack


async def stop_processes(stack: Stack) -> None:
    """Close the API client and stop every child process (the dispatcher writes its profile)."""
    if stack.api is not None:
        await stack.api.aclose()
    for process in stack.processes:
        await stop_process(process)


async def clean_up(stack: Stack) -> None:
    """Delete the bench's queues and exchanges, close the bus and the database engine."""
    await stack.events.cancel()
    await delete_topologies(stack.bus, "bench.delivery")
    await stack.bus.close()
    await stack.engine.dispose()
