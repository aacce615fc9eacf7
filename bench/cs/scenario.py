"""One run: agents online, customers seated, the conversation, the drain; the figures."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections import Counter
from typing import Any

import httpx

from bench.cs.agent import Agent
from bench.cs.customers import Customers
from bench.cs.database import prepare_database
from bench.cs.deliveries import poll_deliveries
from bench.cs.ledger import Ledger
from bench.cs.report import report
from bench.cs.services import sandbox_answers, start_services, stop_services
from bench.inbound import broker_pids
from bench.loadgen import ConnectionPool
from bench.outbound import CpuMeter, postgres_backends
from wxhub.processes import REPO_ROOT
from wxhub.scratch_db import fresh_postgres


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, run the load, drain, print the figures; returns them (for tests)."""
    log_dir = REPO_ROOT / args.logs
    log_dir.mkdir(parents=True, exist_ok=True)
    customers_n = args.agents * args.sessions
    database = await fresh_postgres(args.database_url, args.database_suffix)
    names = await prepare_database(database, args.agents, args.cap)
    started = start_services(args, database, log_dir)
    services = started["services"]
    ledger = Ledger()
    agents: list[Agent] = []
    api = httpx.AsyncClient(
        base_url=services["admin_api"].url,
        timeout=30,
        limits=httpx.Limits(max_connections=args.agents, max_keepalive_connections=args.agents),
    )
    # Raw keep-alive connections for the load (httpx's pool costs more CPU than the bench has).
    gateway = ConnectionPool("127.0.0.1", services["gateway"].port, 64)
    sends = ConnectionPool("127.0.0.1", services["admin_api"].port, args.agents)
    control = httpx.AsyncClient(base_url=started["wechat"], timeout=30)
    stop_polling = asyncio.Event()
    poller: asyncio.Task[None] | None = None
    try:
        await asyncio.gather(
            *(asyncio.to_thread(s.wait_ready, 60.0) for s in services.values()),
        )
        print(
            "services ready: " + ", ".join(f"{k} {s.process.pid}" for k, s in services.items()),
            flush=True,
        )
        await _wait_for(lambda: sandbox_answers(started["wechat"]), 30)
        groups: dict[str, Any] = {name: service.process.pid for name, service in services.items()}
        database_name = database.rsplit("/", 1)[1]
        groups["postgres"] = lambda: postgres_backends(database_name)
        groups.update(broker_pids())
        groups["sandboxes"] = started["sandboxes"].pid
        cpu = CpuMeter(groups)
        load_before = os.getloadavg()

        # Agents: log in, console socket, online.
        ws_url = services["admin_api"].url.replace("http://", "ws://") + "/api/v1/cs/ws"
        agents = [Agent(name, api, sends, ws_url, ledger, args.think) for name in names]
        for agent in agents:
            await agent.log_in()
        poller = asyncio.create_task(poll_deliveries(control, ledger, stop_polling))
        print(f"{len(agents)} agents online; {customers_n} customers ask for a person", flush=True)

        # Customers ask for a person, spread over the ramp; every one must get a seat.
        customers = Customers(gateway, customers_n, ledger)
        ramp_started = time.perf_counter()
        await asyncio.gather(
            *(customers.ask(i, args.ramp * i / customers_n) for i in range(customers_n))
        )
        # A message before its follower's seat would go to the transcript, not to a socket.
        seated = await _wait_for(lambda: len(ledger.seats) >= customers_n, args.ramp + 120)
        ramp_s = time.perf_counter() - ramp_started
        per_agent = Counter(ledger.seats.values())

        # The conversation.
        print(f"{len(ledger.seats)} seated; talking for {args.duration:g} s", flush=True)
        cpu.reset()
        talk_started = time.perf_counter()
        until = talk_started + args.duration
        await asyncio.gather(
            *(customers.talk(i, interval=args.interval, until=until) for i in range(customers_n))
        )
        sent_s = time.perf_counter() - talk_started
        print(f"sent for {sent_s:.1f} s; draining", flush=True)
        # Drain: every customer message on a socket, every answer sent and at the sandbox.
        drain_started = time.perf_counter()
        # A backlog still moving is waited for: lost is what nothing brought after --drain s.
        await _settle(
            lambda: ledger.customer_lost() + len(ledger.replies) + ledger.agent_lost(),
            args.drain + args.think,
        )
        drain_s = time.perf_counter() - drain_started
        stop_polling.set()
        await poller
        poller = None
        cpu_ms = cpu.per_message_ms(len(ledger.customer_seen))
        figures = {
            "agents": args.agents,
            "customers": customers_n,
            "seated": len(ledger.seats),
            "all_seated": seated,
            "max_per_agent": max(per_agent.values(), default=0),
            "dropped": ledger.dropped,
            "ask_errors": dict(customers.ask_errors),
            "customer_sent": len(ledger.customer_sent),
            "customer_lost": ledger.customer_lost(),
            "customer_errors": dict(ledger.customer_errors),
            "customer_ms": ledger.customer_latencies_ms(),
            "agent_sent": len(ledger.agent_sent),
            "agent_lost": ledger.agent_lost(),
            "agent_errors": dict(ledger.agent_errors),
            "agent_ms": ledger.agent_latencies_ms(),
            "cpu_ms": cpu_ms,
            "sent_s": sent_s,
            "ramp_s": ramp_s,
            "drain_s": drain_s,
            "load": (load_before, os.getloadavg()),
        }
        report(figures, args)
        return figures
    finally:
        stop_polling.set()
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller
        for agent in agents:
            await agent.close()
        for client in (api, control):
            await client.aclose()
        for pool in (gateway, sends):
            await pool.close()
        await stop_services(started, args.amqp_url)


async def _settle(outstanding: Any, quiet_s: float) -> None:
    """Wait until ``outstanding()`` is 0, or has not gone down for ``quiet_s`` seconds."""
    least = outstanding()
    moved = time.perf_counter()
    while least:
        await asyncio.sleep(0.1)
        now = outstanding()
        if now < least:
            least, moved = now, time.perf_counter()
        elif time.perf_counter() - moved > quiet_s:
            return


async def _wait_for(check: Any, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True
