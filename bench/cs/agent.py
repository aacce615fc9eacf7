"""One agent's console: logged in through the admin API, pushes on its socket, answers by REST."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.cs.database import PASSWORD
from bench.cs.ledger import Ledger
from bench.loadgen import ConnectionPool


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
