"""The mixed load: signed WeChat callbacks and business notifications at a steady rate.

Each sender behaves like its real counterpart under faults. WeChat waits 5 s for a callback's
answer and tries the same message three times in all; the business system retries a notification
with the same idempotency key on a connection error, a 5xx or a 429, with backoff, for about
fifteen seconds. Every message has a recipient of its own (see :mod:`wxhub.chaos.tally`); among
the notifications, every fifth recipient has unfollowed the account (WeChat refuses 43004, so the
notification falls back to SMS) and every twentieth of those asked for no fallback (it fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from dataclasses import dataclass, field

import httpx

from libs.common.wechat import MalformedXml, parse_xml
from sandboxes.wechat_push import CallbackPusher
from wxhub.chaos.tally import Sent
from wxhub.demo.account import DEMO
from wxhub.smoke import demo_signed

PUSHER = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
CALLBACK_TIMEOUT_S = 5.0
CALLBACK_ATTEMPTS = 3
NOTIFY_BACKOFF_S = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def notification_recipient(run: str, phase: int, n: int) -> tuple[str, str, str, bool]:
    """openid, phone, fallback and whether WeChat refuses the recipient (unfollowed)."""
    openid = f"oChaos{run}p{phase:02d}n{n:05d}"
    phone = f"139{phase:02d}{n:06d}"
    unfollowed = n % 5 == 0
    fallback = "none" if n % 20 == 0 else "sms"
    return openid, phone, fallback, unfollowed


@dataclass
class Load:
    """Sends the load of one phase after another to the balancer; remembers what it sent."""

    gateway_url: str
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    sent: list[Sent] = field(default_factory=list)
    _msg_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def unfollowed(self, phase: int, count: int) -> list[str]:
        """The openids among the first ``count`` notifications of ``phase`` WeChat refuses."""
        found = []
        for n in range(count):
            openid, _, _, refused = notification_recipient(self.run, phase, n)
            if refused:
                found.append(openid)
        return found

    async def drive(
        self,
        client: httpx.AsyncClient,
        phase: int,
        notifications_per_s: float,
        callbacks_per_s: float,
        stop: asyncio.Event,
        limit: int,
    ) -> None:
        """Send at the given rates until ``stop`` is set; then wait for every sender to finish."""
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent_n = sent_c = 0
        while not stop.is_set():
            elapsed = loop.time() - start
            while sent_n < min(limit, elapsed * notifications_per_s):
                tasks.add(asyncio.create_task(self._notify(client, phase, sent_n)))
                sent_n += 1
            while sent_c < elapsed * callbacks_per_s:
                tasks.add(asyncio.create_task(self._callback(client, phase, sent_c)))
                sent_c += 1
            tasks = {t for t in tasks if not t.done()}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
        if tasks:
            await asyncio.gather(*tasks)

    async def _notify(self, client: httpx.AsyncClient, phase: int, n: int) -> None:
        openid, phone, fallback, _ = notification_recipient(self.run, phase, n)
        item = Sent(phase, "notification", openid, phone=phone, fallback=fallback)
        self.sent.append(item)
        body = json.dumps(
            {
                "account": DEMO.code,
                "event_type": "balance_change",
                "to": {"openid": openid, "phone": phone},
                "data": {
                    "account_tail": f"{n % 10_000:04d}",
                    "time": "2026-12-07 10:00",
                    "amount": f"-{n}.00",
                    "balance": "1,000.00",
                },
                "priority": "alert" if n % 2 else "bulk",
                "fallback": fallback,
                # No fallback: the message may take as long as a fault lasts (never expires).
                "deadline_s": 30 if fallback == "sms" else 3_600,
                "idempotency_key": f"chaos-{openid}",
            },
            ensure_ascii=False,
        ).encode()
        url = f"{self.gateway_url}/api/v1/notifications"
        last = ""
        for backoff in (*NOTIFY_BACKOFF_S, None):
            headers = {"Content-Type": "application/json", **demo_signed(body)}
            try:
                response = await client.post(url, content=body, headers=headers, timeout=10)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if response.status_code in (200, 202):
                    item.accepted = True
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code not in _RETRY_STATUSES:
                    break
            if backoff is None:
                break
            await asyncio.sleep(backoff)
        item.refusal = last

    async def _callback(self, client: httpx.AsyncClient, phase: int, n: int) -> None:
        openid = f"oChaos{self.run}p{phase:02d}c{n:05d}"
        item = Sent(phase, "callback", openid)
        self.sent.append(item)
        msg_id = int(self.run, 16) * 10**9 + phase * 10**6 + n
        xml = PUSHER.text(openid, "黄金", msg_id=msg_id)
        url = f"{self.gateway_url}/wechat/{DEMO.code}"
        last = ""
        for _ in range(CALLBACK_ATTEMPTS):
            params, body = PUSHER.sign(xml)
            try:
                response = await client.post(
                    url, params=params, content=body, timeout=CALLBACK_TIMEOUT_S
                )
            except httpx.HTTPError as exc:
                last = type(exc).__name__
                continue
            if response.status_code != 200:
                last = f"HTTP {response.status_code}"
                continue
            item.accepted = True
            item.passive_reply = _is_reply(response.content)
            return
        item.refusal = last


def _is_reply(body: bytes) -> bool:
    """A passive reply (XML with content) rather than ``success`` or an empty answer."""
    if body.strip() in (b"", b"success"):
        return False
    try:
        return bool(parse_xml(body).get("MsgType"))
    except MalformedXml:
        return False
