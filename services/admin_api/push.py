"""Real-time pushes to customer-service consoles over WebSocket (``/api/v1/cs/ws``).

Whichever process changes a session (an engine for a follower's message, any admin_api replica for
an agent's action) stores a feed item for the agent and publishes a :class:`ConsolePushed` on
``wx.cs``. Every admin_api replica binds a transient queue of its own to that exchange, so each
sees every push and hands it to the sockets it holds: an agent is reached whichever replica their
console is connected to, and nothing lives only in one process's memory.

A console resumes with ``?cursor=<last feed id seen>``: stored feed items after it are replayed
before live pushes, and a live push of an item the socket already got is skipped, so the console
gets everything once. Live pushes come in commit order, which is not always id order (two
changes for one agent committing at once). Protocol (JSON text frames, server → console)::

    {"type": "feed", "id", "kind", "session_id", "payload", "at"}   assigned, message, closed, ...
    {"type": "queue", "groups": {"default": 3}}                      queue sizes
    {"type": "hello", "cursor", "agent_id", "queue"}                 after the replay
    {"type": "ping"} every heartbeat, however busy the socket; the console answers
    {"type": "pong"} (or sends "ping")

A console silent for three heartbeats is closed (code 4408).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocket, WebSocketDisconnect

from libs.common.bus import CS_PUSH, Bus, Delivery, Queue, Subscription, Topology
from libs.common.cs import workflow
from libs.common.db.models import utcnow
from libs.common.observability.logging import get_logger
from libs.common.schemas._envelope import new_id
from libs.common.schemas.console import ConsolePushed
from services.admin_api.repositories import cs as repo

log = get_logger(__name__)


class Console:
    """One open socket of one agent: frames waiting to be sent."""

    def __init__(self, agent_id: int) -> None:
        self.agent_id = agent_id
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()


class ConsoleHub:
    """This replica's sockets and its copy of every console push."""

    def __init__(
        self,
        bus: Bus,
        sessions: async_sessionmaker[AsyncSession],
        *,
        instance_id: str = "",
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self.queue_name = f"admin.cs.{instance_id or 'admin'}.{new_id()[:12]}"
        self._consoles: dict[int, set[Console]] = {}
        self._subscription: Subscription | None = None
        self._queue_changed = asyncio.Event()
        self._refresher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Declare this replica's queue on ``wx.cs`` and start consuming it."""
        await self._bus.declare(
            Topology(queues=[Queue(self.queue_name, [(CS_PUSH, "#")], transient=True)])
        )
        self._subscription = await self._bus.consume(self.queue_name, self._on_push)
        self._refresher = asyncio.create_task(self._refresh_queues(), name="console queues")

    async def stop(self) -> None:
        """Stop consuming; the broker drops the unused queue after a while."""
        if self._subscription is not None:
            await self._subscription.cancel()
            self._subscription = None
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher

    def attach(self, agent_id: int) -> Console:
        """Register a socket of ``agent_id``; pushes from now on are queued for it."""
        console = Console(agent_id)
        self._consoles.setdefault(agent_id, set()).add(console)
        return console

    def detach(self, console: Console) -> None:
        """Forget a closed socket."""
        held = self._consoles.get(console.agent_id)
        if held is not None:
            held.discard(console)
            if not held:
                del self._consoles[console.agent_id]

    def connected(self, agent_id: int) -> bool:
        """Whether this replica holds a socket of ``agent_id``."""
        return agent_id in self._consoles

    def agents(self) -> list[int]:
        """Agents with a socket on this replica."""
        return list(self._consoles)

    async def _on_push(self, delivery: Delivery) -> None:
        try:
            push = ConsolePushed.from_bytes(delivery.message.body)
        except ValueError:
            log.warning("console_push_unreadable")
            await delivery.ack()
            return
        if push.kind == "queue":
            self._queue_changed.set()
        elif push.agent_id is not None:
            frame = feed_frame(
                push.feed_id, push.kind, push.session_id, push.payload, push.occurred_at.isoformat()
            )
            for console in self._consoles.get(push.agent_id, ()):
                console.frames.put_nowait(frame)
        await delivery.ack()

    async def _refresh_queues(self) -> None:
        # Many queue changes in a burst cost one query: sizes are read after the burst.
        while True:
            await self._queue_changed.wait()
            await asyncio.sleep(0.05)
            self._queue_changed.clear()
            if not self._consoles:
                continue
            try:
                async with self._sessions() as session:
                    sizes = await workflow.queue_sizes(session)
            except Exception:
                log.exception("console_queue_sizes_failed")
                continue
            frame = {"type": "queue", "groups": sizes}
            for consoles in self._consoles.values():
                for console in consoles:
                    console.frames.put_nowait(frame)


def feed_frame(
    feed_id: int | None, kind: str, session_id: int | None, payload: dict[str, Any], at: str
) -> dict[str, Any]:
    """The frame of one feed item."""
    return {
        "type": "feed",
        "id": feed_id,
        "kind": kind,
        "session_id": session_id,
        "payload": payload,
        "at": at,
    }


async def serve_console(
    websocket: WebSocket,
    *,
    hub: ConsoleHub,
    sessions: async_sessionmaker[AsyncSession],
    agent_id: int,
    cursor: int,
    heartbeat_s: float,
) -> None:
    """Run one accepted console socket until it closes: replay, then live pushes and pings."""
    console = hub.attach(agent_id)
    try:
        async with sessions.begin() as session:
            await workflow.mark_consoles_seen(session, agent_ids=[agent_id], now=utcnow())
        async with sessions() as session:
            missed = await repo.list_feed(session, agent_id=agent_id, after=cursor)
            sizes = await workflow.queue_sizes(session)
        sent = cursor
        for item in missed:
            await websocket.send_json(
                feed_frame(item.id, item.kind, item.session_id, item.payload, item.at.isoformat())
            )
            sent = item.id
        await websocket.send_json(
            {"type": "hello", "cursor": sent, "agent_id": agent_id, "queue": sizes}
        )
        await _pump(websocket, console, SentFeed(item.id for item in missed), heartbeat_s)
    except WebSocketDisconnect:
        pass
    finally:
        hub.detach(console)


class SentFeed:
    """Ids of the feed items a socket already got (the latest ``size``), to send each once.

    Feed ids follow insertion order, but the transactions that took them commit and publish in
    any order (two followers of one agent writing at once): a live push with a lower id than one
    already sent is new, not a repeat, so only ids actually sent are skipped.
    """

    def __init__(self, ids: Iterable[int] = (), size: int = 4096) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()
        self._size = size
        for feed_id in ids:
            self.add(feed_id)

    def __contains__(self, feed_id: int) -> bool:
        return feed_id in self._ids

    def add(self, feed_id: int) -> None:
        """Remember ``feed_id`` as sent (forgetting the oldest beyond ``size``)."""
        self._order.append(feed_id)
        self._ids.add(feed_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())


async def _pump(websocket: WebSocket, console: Console, sent: SentFeed, heartbeat_s: float) -> None:
    loop = asyncio.get_running_loop()
    heard = pinged = loop.time()

    async def receive() -> None:
        nonlocal heard
        while True:
            text = await websocket.receive_text()
            heard = loop.time()
            with contextlib.suppress(ValueError, AttributeError):
                if json.loads(text).get("type") == "ping":
                    await websocket.send_json({"type": "pong"})

    receiver = asyncio.create_task(receive())
    try:
        while not receiver.done():
            frame: dict[str, Any] | None = None
            with contextlib.suppress(TimeoutError):
                frame = await asyncio.wait_for(
                    console.frames.get(), timeout=max(0.0, pinged + heartbeat_s - loop.time())
                )
            # A ping every heartbeat, busy or not: a console that receives frames all the time
            # must still be asked, or the first quiet moment would find it long silent.
            now = loop.time()
            if now - pinged >= heartbeat_s:
                if now - heard > 3 * heartbeat_s:
                    await websocket.close(code=4408)
                    return
                await websocket.send_json({"type": "ping"})
                pinged = now
            if frame is None:
                continue
            feed_id = frame.get("id")
            if frame["type"] == "feed" and isinstance(feed_id, int):
                if feed_id in sent:
                    continue  # already replayed
                sent.add(feed_id)
            await websocket.send_json(frame)
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
            await receiver
