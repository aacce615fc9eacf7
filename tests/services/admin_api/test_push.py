"""Console pushes over WebSocket with two admin_api replicas on RabbitMQ and PostgreSQL: a change
made through one replica reaches the agent's socket on the other; a console that reconnects with
its cursor gets what it missed, once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from libs.common.bus import AmqpBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.cs import effects, workflow
from libs.common.db.models import Account, AdminUser, CsAgent, CsSession, utcnow
from libs.common.resources import Resources, open_resources
from libs.common.settings import CommonSettings
from sandboxes.server import RunningServer, serve
from services.admin_api.app import AdminService
from services.admin_api.settings import AdminSettings
from tests.polling import eventually
from tests.services.admin_api.support import (
    PG_TEMPLATE,
    SECRET_KEY,
    mint_token,
    pg_admin,
    pg_database_url,
)
from wxhub.scratch_bus import delete_namespace

pytestmark = [pytest.mark.postgres, pytest.mark.amqp]


@dataclass
class Replica:
    """One admin_api process: its service, resources and HTTP server."""

    service: AdminService
    resources: Resources
    server: RunningServer

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/api/v1/cs/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
async def replicas(pg_template: str, amqp_url: str, tmp_path: Path) -> AsyncIterator[list[Replica]]:
    """Two admin_api replicas sharing one PostgreSQL database and one RabbitMQ namespace."""
    name = f"wxhub_admin_push_{uuid.uuid4().hex[:10]}"
    await pg_admin(pg_template, f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")
    database_url = pg_database_url(pg_template, name)
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    started: list[Replica] = []
    try:
        for index in range(2):
            bus = AmqpBus(amqp_url, namespace=namespace, queue_type="quorum")
            await bus.connect()
            await bus.declare(default_topology())
            common: dict[str, Any] = {
                "database_url": database_url,
                "secret_key": SECRET_KEY,
                "heartbeat_interval_s": 3600,
                "instance_id": f"admin-{index}",
                "storage_dir": str(tmp_path / "materials"),
                "env": "test",
                "cs_ws_heartbeat_s": 1.5,
                "cs_console_grace_s": 2.0,
                "cs_console_check_s": 0.2,
            }
            resources = await open_resources(
                CommonSettings(**common), bus=bus, ledger=MemoryCallbackLedger()
            )
            service = AdminService(AdminSettings(**common), resources)
            await service.start()
            server = await serve(service.app, "127.0.0.1", 0, websockets=True)
            started.append(Replica(service, resources, server))
        yield started
    finally:
        for replica in started:
            await replica.server.stop()
            await replica.service.stop()
            await replica.resources.bus.close()
            await replica.resources.close()
        await delete_namespace(amqp_url, namespace)
        await pg_admin(pg_template, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _token(replica: Replica, username: str) -> str:
    return await mint_token(replica.resources.sessions, replica.service.state, username)


async def _follower_asks(replica: Replica, openid: str) -> int:
    """A follower of the demo account asks for a person (what the engine does)."""
    settings = replica.service.settings
    async with replica.resources.sessions.begin() as session:
        account_id = await session.scalar(select(Account.id).where(Account.code == "demo"))
        assert account_id is not None
        requested = await workflow.request(
            session,
            account_id=account_id,
            openid=openid,
            group="default",
            now=utcnow(),
            strategy=settings.cs_assignment,
            quota=settings.cs_window_sends,
        )
    await effects.publish(replica.resources.bus, requested.effects)
    return requested.session.id


async def _frames_until(
    socket: ClientConnection, wanted: Any, *, timeout: float = 15.0
) -> list[dict[str, Any]]:
    """Frames received until one satisfies ``wanted`` (that one included); pings are answered
    like the console does."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            frames.append(frame)
            if frame["type"] == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            if wanted(frame):
                return frames


def _feed(frames: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(f["kind"], f["session_id"]) for f in frames if f["type"] == "feed"]


@asynccontextmanager
async def _console(
    replica: Replica, token: str, *, cursor: int | None = None
) -> AsyncIterator[tuple[ClientConnection, list[dict[str, Any]]]]:
    """An agent's console socket on ``replica``, with the frames up to its hello (what it missed
    since ``cursor``, then the hello)."""
    url = f"{replica.ws}?token={token}" + (f"&cursor={cursor}" if cursor is not None else "")
    async with connect(url) as socket:
        yield socket, await _frames_until(socket, lambda f: f["type"] == "hello")


async def _go_online(replica: Replica, token: str) -> None:
    """The agent goes online through ``replica``'s HTTP API."""
    async with httpx.AsyncClient(base_url=replica.http) as client:
        online = await client.put(
            "/api/v1/cs/me/status",
            json={"status": "online"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert online.status_code == 200, online.text


async def _follower_writes(
    replica: Replica, session_id: int, content: str, *, msg_id_prefix: str
) -> effects.Effects:
    """The follower of session ``session_id`` writes ``content`` (what the engine records); the
    effects are returned unpublished."""
    async with replica.resources.sessions.begin() as session:
        row = await session.get(CsSession, session_id)
        assert row is not None
        return await workflow.append_customer(
            session,
            row,
            msg_id=f"{msg_id_prefix}-{uuid.uuid4().hex}",
            kind="text",
            content=content,
            payload={},
            now=utcnow(),
        )


@asynccontextmanager
async def _console_with_a_session(
    replicas: list[Replica], agent: str, openid: str
) -> AsyncIterator[tuple[ClientConnection, int]]:
    """``agent``'s console on the second replica, once the agent went online and a follower
    (``openid``) who asked through the first was assigned: the socket and the session id."""
    first, second = replicas
    token = await _token(first, agent)
    async with _console(second, token) as (socket, _):
        await _go_online(first, token)
        session_id = await _follower_asks(first, openid)
        await _frames_until(socket, lambda f: f["type"] == "feed")
        yield socket, session_id


async def test_a_push_reaches_the_agent_on_the_other_replica(replicas: list[Replica]) -> None:
    first, second = replicas
    token = await _token(first, "agent1")
    async with _console(second, token) as (socket, hello):
        assert hello[-1]["cursor"] == 0
        # Through the first replica: online, then a follower asks.
        await _go_online(first, token)
        session_id = await _follower_asks(first, "oPushed")
        frames = await _frames_until(socket, lambda f: f["type"] == "feed")
        assert _feed(frames) == [("assigned", session_id)]
        assert frames[-1]["payload"]["session"]["openid"] == "oPushed"
        # The follower writes: the message is pushed too.
        said = await _follower_writes(first, session_id, "我想问一下定投", msg_id_prefix="push")
        await effects.publish(first.resources.bus, said)
        frames = await _frames_until(socket, lambda f: f["type"] == "feed")
        assert frames[-1]["kind"] == "message"
        assert frames[-1]["payload"]["message"]["content"] == "我想问一下定投"
        last_seen = frames[-1]["id"]
        # Heartbeats keep coming while nothing happens; a console that answers stays open.
        for _ in range(3):
            await _frames_until(socket, lambda f: f["type"] == "ping")
    # Disconnected: another follower is assigned meanwhile; reconnecting with the cursor replays
    # exactly that.
    missed = await _follower_asks(first, "oWhileAway")
    async with _console(first, token, cursor=last_seen) as (_, frames):
        assert _feed(frames) == [("assigned", missed)]
        assert frames[-1]["cursor"] > last_seen


async def test_a_busy_console_is_pinged_and_kept_through_a_quiet_moment(
    replicas: list[Replica],
) -> None:
    first, _ = replicas
    async with _console_with_a_session(replicas, "agent1", "oChatty") as (socket, session_id):
        # A message every half heartbeat (1.5 s) for over three heartbeats; the console answers
        # the pings it gets, like the console page.
        frames: list[dict[str, Any]] = []
        for n in range(12):
            said = await _follower_writes(first, session_id, f"第{n}条", msg_id_prefix="chatty")
            await effects.publish(first.resources.bus, said)
            frames += await _frames_until(socket, lambda f: f["type"] == "feed")
            await asyncio.sleep(0.6)
        assert any(f["type"] == "ping" for f in frames)
        # Then a quiet moment longer than a heartbeat: still open, still pinged.
        await _frames_until(socket, lambda f: f["type"] == "ping")
        await _frames_until(socket, lambda f: f["type"] == "ping")


async def test_pushes_published_out_of_id_order_all_reach_the_console(
    replicas: list[Replica],
) -> None:
    first, _ = replicas
    async with _console_with_a_session(replicas, "agent2", "oTwoAtOnce") as (socket, session_id):
        # Two messages of the follower: the first takes the lower feed id, but its transaction
        # publishes last (as when two engine handlers commit at once).
        said = [
            await _follower_writes(first, session_id, content, msg_id_prefix="order")
            for content in ("早", "晚")
        ]
        for effect in reversed(said):
            await effects.publish(first.resources.bus, effect)
        got: list[str] = []
        while len(got) < 2:
            frames = await _frames_until(socket, lambda f: f["type"] == "feed")
            got.append(frames[-1]["payload"]["message"]["content"])
        assert sorted(got) == ["早", "晚"]


async def test_queue_sizes_are_pushed_to_every_console(replicas: list[Replica]) -> None:
    first, second = replicas
    token = await _token(second, "agent2")
    async with _console(second, token) as (socket, _):
        await _follower_asks(first, "oWaiting")
        frames = await _frames_until(socket, lambda f: f["type"] == "queue")
        assert frames[-1]["groups"] == {"default": 1}


async def test_a_socket_without_a_valid_token_or_permission_is_refused(
    replicas: list[Replica],
) -> None:
    first, _ = replicas
    with pytest.raises(InvalidStatus):
        async with connect(f"{first.ws}?token=not-a-token"):
            pass
    editor = await _token(first, "sh_editor")
    with pytest.raises(InvalidStatus):
        async with connect(f"{first.ws}?token={editor}"):
            pass


async def test_a_console_gone_past_the_grace_period_puts_its_sessions_back(
    replicas: list[Replica],
) -> None:
    first, second = replicas
    token = await _token(first, "agent1")
    async with _console(second, token) as (socket, _):
        await _go_online(first, token)
        session_id = await _follower_asks(first, "oKept")
        await _frames_until(socket, lambda f: f["type"] == "feed")
        # Connected (to the other replica) for longer than the grace period: kept.
        loop = asyncio.get_running_loop()
        until = loop.time() + 3.0
        while loop.time() < until:
            await _frames_until(socket, lambda f: f["type"] == "ping")
        async with first.resources.sessions() as session:
            row = await session.get(CsSession, session_id)
            assert row is not None
            assert row.state == "assigned"

    # Gone: after the grace period the session is back at the head of the queue.
    async def requeued() -> bool:
        async with first.resources.sessions() as session:
            row = await session.get(CsSession, session_id)
            return row is not None and row.state == "queued" and row.requeued

    await eventually(requeued, what="session back in the queue")
    async with first.resources.sessions() as session:
        agent = await session.get(CsAgent, await _user_id(first, "agent1"))
        assert agent is not None
        assert agent.status == "offline"


async def _user_id(replica: Replica, username: str) -> int:
    async with replica.resources.sessions() as session:
        user_id = await session.scalar(select(AdminUser.id).where(AdminUser.username == username))
    assert user_id is not None
    return user_id
