"""``make bench-cs``: human customer service at full size — 30 agents × 10 chats (R-PERF-2).

Starts the sandboxes, one gateway, one engine, one admin_api and one dispatcher as child processes
on PostgreSQL (a fresh ``<database>_benchcs`` next to ``WXHUB_TEST_DATABASE_URL``), the RabbitMQ
of ``WXHUB_TEST_AMQP_URL`` and the Redis of ``WXHUB_TEST_REDIS_URL``: the production wiring.

``--agents`` admin users with ``cs.agent`` (created in the database setup, cap ``--cap``) log in
through the admin API, open the console socket (``/api/v1/cs/ws``) and go online. Then
``--agents × --sessions`` followers ask for a person ("人工") as signed WeChat callbacks to the
gateway, spread over ``--ramp`` seconds; every one must get a seat. For ``--duration`` seconds each
follower sends a text every ``--interval`` seconds (random phase), and the agent answers every
message through ``POST /api/v1/cs/sessions/{id}/messages`` after a think time of up to
``--think`` seconds. Measured:

- customer → agent: callback POST sent → the message arrives on the agent's socket
  (gateway → RabbitMQ → engine → PostgreSQL → ``wx.cs`` → admin_api → WebSocket);
- agent → WeChat API: the REST send starts → the WeChat API sandbox accepts the
  ``message/custom/send`` call (admin_api → RabbitMQ → dispatcher → sandbox; the sandbox's
  delivery time, read from its control API, is on the same clock);
- lost: messages answered as accepted (callback 200, send 201) that never reached the other side:
  after the load the benchmark waits while the backlog still moves, until nothing arrived for
  ``--drain`` seconds; errors: requests not accepted.

Also prints CPU ms per customer message of each process (utime + stime from /proc) and the
machine's load average, which on a shared machine says how far to trust the absolute figures.

    python -m bench.cs [--agents 30] [--sessions 10] [--duration 60] [--interval 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from argon2 import PasswordHasher
from sqlalchemy import insert, select
from websockets.asyncio.client import ClientConnection, connect

from bench.inbound import broker_pids
from bench.loadgen import ConnectionPool
from bench.outbound import CpuMeter, postgres_backends
from bench.servers import add_server_arguments
from libs.common.bus import AmqpBus, Queue, Topology, default_topology
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.db.models import AdminUser, CsAgent, Org, Role, user_roles
from libs.common.secret_box import SecretBox
from libs.common.serving import run as serve_run
from libs.common.serving import skip_sniffio_probe
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO, seed_demo
from wxhub.demo.admin import seed_admin_demo
from wxhub.processes import REPO_ROOT, ProcessGroup, free_port
from wxhub.scratch_db import fresh_postgres

SECRET_KEY = "bench-cs-secret-key-not-for-production"
DATABASE_SUFFIX = "benchcs"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# A TEST password shared by the benchmark's agents (hashed once).
PASSWORD = "bench-agent-TEST-pass-1"
ASK = "人工"


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Ledger:
    """What was sent and when it arrived, by message tag, both ways."""

    # customer → agent: tag → perf_counter() when the callback POST was sent / seen on a socket
    customer_sent: dict[str, float] = field(default_factory=dict)
    customer_seen: dict[str, float] = field(default_factory=dict)
    customer_errors: Counter[str] = field(default_factory=Counter)
    # agent → WeChat API: tag → time.time() when the REST send started / the sandbox accepted it
    agent_sent: dict[str, float] = field(default_factory=dict)
    agent_seen: dict[str, float] = field(default_factory=dict)
    agent_errors: Counter[str] = field(default_factory=Counter)
    # session id → agent id, from the "assigned" pushes
    seats: dict[int, int] = field(default_factory=dict)
    replies: set[asyncio.Task[None]] = field(default_factory=set)
    # console sockets the server closed
    dropped: int = 0

    def customer_latencies_ms(self) -> list[float]:
        return [
            (self.customer_seen[tag] - sent) * 1000
            for tag, sent in self.customer_sent.items()
            if tag in self.customer_seen
        ]

    def agent_latencies_ms(self) -> list[float]:
        return [
            (self.agent_seen[tag] - sent) * 1000
            for tag, sent in self.agent_sent.items()
            if tag in self.agent_seen
        ]

    def customer_lost(self) -> int:
        return sum(1 for tag in self.customer_sent if tag not in self.customer_seen)

    def agent_lost(self) -> int:
        return sum(1 for tag in self.agent_sent if tag not in self.agent_seen)


async def prepare_database(url: str, agents: int, cap: int) -> list[str]:
    """Migrate, seed the demo account (customer service on around the clock) and ``agents``
    users with ``cs.agent`` and a seat of ``cap``; returns their usernames."""
    await upgrade_async(url)
    engine = make_engine(url)
    box = SecretBox(SECRET_KEY)
    names = [f"bench_agent{n:02d}" for n in range(1, agents + 1)]
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_demo(session, box)
            await seed_admin_demo(session, box)
            org_id = await session.scalar(select(Org.id).where(Org.code == "HQ"))
            role_id = await session.scalar(select(Role.id).where(Role.code == "cs_agent"))
            assert org_id is not None
            assert role_id is not None
            password_hash = PasswordHasher().hash(PASSWORD)
            users = [
                AdminUser(
                    username=name,
                    display_name=f"坐席{n:02d}",
                    org_id=org_id,
                    password_hash=password_hash,
                )
                for n, name in enumerate(names, 1)
            ]
            session.add_all(users)
            await session.flush()
            await session.execute(
                insert(user_roles), [{"user_id": u.id, "role_id": role_id} for u in users]
            )
            session.add_all(CsAgent(user_id=u.id, cap=cap, groups=["default"]) for u in users)
    finally:
        await engine.dispose()
    return names


class Agent:
    """One agent's console: a socket for pushes, REST for answers."""

    def __init__(
        self,
        name: str,
        api: httpx.AsyncClient,
        sends: ConnectionPool,
        ws_url: str,
        ledger: Ledger,
        think_s: float,
    ) -> None:
        self.name = name
        self.api = api
        self.sends = sends
        self.ws_url = ws_url
        self.ledger = ledger
        self.think_s = think_s
        self.token = ""
        self.user_id = 0
        self.sessions: set[int] = set()
        self.ready = asyncio.Event()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def log_in(self) -> None:
        """Log in, open the console socket (after its hello), go online."""
        answer = await self.api.post(
            "/api/v1/auth/login", data={"username": self.name, "password": PASSWORD}
        )
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        self._socket = await connect(f"{self.ws_url}?{urlencode({'token': self.token})}")
        self._reader = asyncio.create_task(self._read(), name=f"console {self.name}")
        await asyncio.wait_for(self.ready.wait(), 30)
        online = await self.api.put(
            "/api/v1/cs/me/status", json={"status": "online"}, headers=self._auth()
        )
        online.raise_for_status()
        self.user_id = int(online.json()["user_id"])

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            await self._frames(self._socket)
        finally:
            if not self._closing:
                self.ledger.dropped += 1

    async def _frames(self, socket: ClientConnection) -> None:
        async for raw in socket:
            at = time.perf_counter()
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "hello":
                self.ready.set()
            elif kind == "ping":
                await socket.send('{"type":"pong"}')
            elif kind == "feed":
                self._on_feed(frame, at)

    def _on_feed(self, frame: dict[str, Any], at: float) -> None:
        session_id = frame["session_id"]
        if frame["kind"] == "assigned":
            self.sessions.add(session_id)
            self.ledger.seats[session_id] = self.user_id
        elif frame["kind"] == "message":
            message = frame["payload"]["message"]
            tag = message["content"]
            if message["sender"] != "customer" or tag in self.ledger.customer_seen:
                return
            self.ledger.customer_seen[tag] = at
            task = asyncio.create_task(self._answer(session_id, tag))
            self.ledger.replies.add(task)
            task.add_done_callback(self.ledger.replies.discard)

    async def _answer(self, session_id: int, tag: str) -> None:
        await asyncio.sleep(random.uniform(0, self.think_s))
        reply = f"re:{tag}"
        self.ledger.agent_sent[reply] = time.time()
        try:
            status, body = await self.sends.request(
                "POST",
                f"/api/v1/cs/sessions/{session_id}/messages",
                json.dumps({"text": reply}).encode(),
                {**self._auth(), "Content-Type": "application/json"},
            )
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.ledger.agent_sent.pop(reply, None)
            self.ledger.agent_errors[type(exc).__name__] += 1
            return
        if status != 201:
            self.ledger.agent_sent.pop(reply, None)
            self.ledger.agent_errors[f"{status} {body[:80].decode(errors='replace')}"] += 1

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


class Customers:
    """Followers of the demo account sending signed callbacks to the gateway."""

    def __init__(self, gateway: ConnectionPool, count: int, ledger: Ledger) -> None:
        self.gateway = gateway
        self.count = count
        self.ledger = ledger
        self.pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id)
        self._msg_ids = iter(range(7_000_000_000_000_000_000, 8_000_000_000_000_000_000))
        self.ask_errors: Counter[str] = Counter()

    @staticmethod
    def openid(index: int) -> str:
        return f"oCsBench{index:05d}"

    async def _post(self, openid: str, content: str) -> tuple[int, bytes]:
        xml = self.pusher.text(openid, content, msg_id=next(self._msg_ids))
        params, body = self.pusher.sign(xml)
        return await self.gateway.request(
            "POST", f"/wechat/{DEMO.code}?{urlencode(params)}", body, {"Content-Type": "text/xml"}
        )

    async def ask(self, index: int, delay: float) -> None:
        """Ask for a person after ``delay`` seconds."""
        await asyncio.sleep(delay)
        try:
            status, _ = await self._post(self.openid(index), ASK)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.ask_errors[type(exc).__name__] += 1
            return
        if status != 200:
            self.ask_errors[str(status)] += 1

    async def talk(self, index: int, *, interval: float, until: float) -> None:
        """A text every ``interval`` seconds (first one at a random phase) until ``until``, each
        sent when due whether or not the previous one was answered (open loop, as WeChat pushes:
        a slow answer does not hold the next message back and hide the delay)."""
        due = time.perf_counter() + random.uniform(0, interval)
        seq = 0
        sending: list[asyncio.Task[None]] = []
        while due < until:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            seq += 1
            sending.append(asyncio.create_task(self._say(index, f"c{index}.{seq}", due)))
            due += interval
        await asyncio.gather(*sending)

    async def _say(self, index: int, tag: str, due: float) -> None:
        # Latency counts from when the message was due (no coordinated omission).
        self.ledger.customer_sent[tag] = due
        try:
            status, body = await self._post(self.openid(index), tag)
        except (OSError, asyncio.IncompleteReadError) as exc:
            status, body = 0, type(exc).__name__.encode()
        if status != 200:
            self.ledger.customer_sent.pop(tag, None)
            self.ledger.customer_errors[f"{status} {body[:60]!r}"] += 1


async def poll_deliveries(control: httpx.AsyncClient, ledger: Ledger, stop: asyncio.Event) -> None:
    """Read the WeChat API sandbox's custom sends as they come (each once, by msgid)."""
    after = 0
    failures = 0
    while True:
        try:
            answer = await control.get(
                "/__sandbox__/deliveries", params={"kind": "custom", "after": after}
            )
        except httpx.TransportError:
            # The sandbox closed an idle keep-alive connection: ask again (once more at the end).
            failures += 1
            if failures > 5:
                raise
            await asyncio.sleep(0.1)
            continue
        failures = 0
        for delivery in answer.json()["deliveries"]:
            after = max(after, int(delivery["msgid"]))
            content = delivery["body"].get("text", {}).get("content", "")
            if content in ledger.agent_sent:
                ledger.agent_seen[content] = float(delivery["at"])
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


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


def start_services(args: argparse.Namespace, database: str, log_dir: Path) -> dict[str, Any]:
    """Sandboxes, gateway, engine, admin_api and dispatcher as child processes."""
    namespace = f"benchcs-{uuid.uuid4().hex[:8]}"
    ports = {
        "wechat_sandbox_port": free_port(),
        "sms_sandbox_port": free_port(),
        "core_sandbox_port": free_port(),
    }
    wechat = f"http://127.0.0.1:{ports['wechat_sandbox_port']}"
    group = ProcessGroup(
        env={
            "WXHUB_ENV": "test",
            "WXHUB_LOG_LEVEL": "WARNING",
            "WXHUB_DATABASE_URL": database,
            "WXHUB_AMQP_URL": args.amqp_url,
            "WXHUB_REDIS_URL": args.redis_url,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_WECHAT_API_BASE": wechat,
            "WXHUB_WECHAT_OAUTH_BASE": wechat,
            "WXHUB_SMS_URL": f"http://127.0.0.1:{ports['sms_sandbox_port']}/send",
            "WXHUB_CORE_URL": f"http://127.0.0.1:{ports['core_sandbox_port']}",
            "WXHUB_CS_DEFAULT_CAP": str(args.cap),
            **{f"WXHUB_{name.upper()}": str(port) for name, port in ports.items()},
        },
        log_dir=log_dir,
    )
    env = {**os.environ, **group.env}
    with (log_dir / "sandboxes.log").open("wb") as out:
        sandboxes = subprocess.Popen(
            [sys.executable, "-m", "sandboxes"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )
    services = {
        "engine": group.start("engine", port_setting="engine_port"),
        "gateway": group.start("gateway", port_setting="gateway_port"),
        "admin_api": group.start("admin_api", port_setting="admin_port"),
        "dispatcher": group.start("dispatcher", port_setting="dispatcher_port"),
    }
    return {
        "group": group,
        "namespace": namespace,
        "sandboxes": sandboxes,
        "services": services,
        "wechat": wechat,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, run the load, drain, print the figures; returns them (for tests)."""
    log_dir = REPO_ROOT / args.logs
    log_dir.mkdir(parents=True, exist_ok=True)
    customers_n = args.agents * args.sessions
    database = await fresh_postgres(args.database_url, args.database_suffix)
    names = await prepare_database(database, args.agents, args.cap)
    started = start_services(args, database, log_dir)
    group: ProcessGroup = started["group"]
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
        await _wait_for(lambda: _answers(started["wechat"]), 30)
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
        group.stop_all()
        started["sandboxes"].terminate()
        started["sandboxes"].wait()
        bus = AmqpBus(args.amqp_url, namespace=started["namespace"])
        await bus.connect()
        await bus.delete(default_topology())
        # The dispatcher's own queues (not in the default topology).
        await bus.delete(
            Topology(queues=[Queue("dispatcher.interactions"), Queue("dispatcher.reports")])
        )
        await bus.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/__sandbox__/stats", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the figures."""
    before, after = figures["load"]
    customer_ms, agent_ms = figures["customer_ms"], figures["agent_ms"]
    rate = figures["customer_sent"] / max(figures["sent_s"], 1e-9)
    print()
    print(
        f"bench-cs: {figures['agents']} agents × {args.sessions} sessions = "
        f"{figures['customers']} customers, a text every {args.interval:g} s each "
        f"({rate:.0f} messages/s each way) for {args.duration:g} s, answers after up to "
        f"{args.think:g} s"
    )
    print(
        f"load average before {before[0]:.1f} / after {after[0]:.1f} "
        f"(5 min {after[1]:.1f}) on {os.cpu_count()} CPUs"
    )
    print(
        f"seats: {figures['seated']} of {figures['customers']} customers assigned in "
        f"{figures['ramp_s']:.1f} s (ramp {args.ramp:g} s), at most {figures['max_per_agent']} "
        f"per agent (cap {args.cap})"
        + (f"; ask errors {figures['ask_errors']}" if figures["ask_errors"] else "")
    )
    print()
    print("| direction | sent | p50 ms | p99 ms | max ms | lost | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, values, sent, lost, errors in (
        (
            "customer → agent (callback → socket)",
            customer_ms,
            figures["customer_sent"],
            figures["customer_lost"],
            figures["customer_errors"],
        ),
        (
            "agent → WeChat API (REST send → sandbox)",
            agent_ms,
            figures["agent_sent"],
            figures["agent_lost"],
            figures["agent_errors"],
        ),
    ):
        print(
            f"| {label} | {sent} | {pct(values, 0.5):.1f} | {pct(values, 0.99):.1f} "
            f"| {max(values, default=float('nan')):.1f} | {lost} | {sum(errors.values())} |"
        )
    for label, errors in (
        ("customer", figures["customer_errors"]),
        ("agent", figures["agent_errors"]),
    ):
        if errors:
            print(f"  {label} errors: {dict(errors)}")
    print(
        f"drained in {figures['drain_s']:.1f} s; console sockets closed by the server: "
        f"{figures['dropped']}"
    )
    print()
    print("CPU ms per customer message (with its answer), utime+stime from /proc:")
    print("  " + ", ".join(f"{name} {ms:.2f}" for name, ms in figures["cpu_ms"].items()))
    fast = all(pct(values, 0.99) < 200 for values in (customer_ms, agent_ms) if values)
    kept = figures["all_seated"] and not figures["dropped"]
    target = fast and kept and not (figures["customer_lost"] or figures["agent_lost"])
    print(f"target p99 < 200 ms each way, 0 lost: {'met' if target else 'NOT met'}")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--agents", type=int, default=30)
    p.add_argument("--sessions", type=int, default=10, help="customers per agent")
    p.add_argument("--cap", type=int, default=10, help="sessions an agent serves at once")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of conversation")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between a customer's texts")
    p.add_argument("--think", type=float, default=2.0, help="an agent answers within this (s)")
    p.add_argument("--ramp", type=float, default=10.0, help="customers ask over this many s")
    p.add_argument(
        "--drain",
        type=float,
        default=45.0,
        help="after the load, wait until nothing arrived for this long (s)",
    )
    p.add_argument("--logs", default="var/bench-cs", help="child process logs")
    p.add_argument(
        "--database-suffix",
        default=DATABASE_SUFFIX,
        help="the scratch database is <database>_<suffix> (dropped and created afresh)",
    )
    p.add_argument("--redis-url", default=os.environ.get("WXHUB_TEST_REDIS_URL", DEFAULT_REDIS_URL))
    add_server_arguments(p)
    return p


if __name__ == "__main__":
    arguments = parser().parse_args()
    skip_sniffio_probe()
    serve_run(run(arguments))
