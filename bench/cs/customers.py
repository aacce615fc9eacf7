"""The followers: signed WeChat callbacks to the gateway asking for a person, then texts."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from urllib.parse import urlencode

from bench.cs.ledger import Ledger
from bench.loadgen import ConnectionPool
from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO

ASK = "人工"


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
