"""Delivery reports: after a template or mass send, WeChat pushes a job-finish event to the
account's callback URL (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH; docs/wechat-protocol.md).

Nothing is pushed for an account without a registered callback (``POST
/__sandbox__/callbacks``). A recipient in ``blocking`` (the follower refused the account's
messages) reports ``failed:user block``, one in ``system_failing`` ``failed: system failed``;
a mass send counts both as filtered out / errors. Pushes are signed (and encrypted when the
callback has an EncodingAESKey) like WeChat's, ``delay_s`` after the send, and recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

import httpx

from sandboxes.endpoint import Clock
from sandboxes.faults import JsonObject
from sandboxes.wechat_push import CallbackPusher

# Who a mass send's report comes from: WeChat's own system account, not a follower.
MASS_REPORTER = "oWeChatMassSendReporter"


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """An account's callback URL and the credentials to sign (and encrypt) pushes for it."""

    url: str
    token: str
    original_id: str
    encoding_aes_key: str | None = None

    def as_json(self) -> JsonObject:
        """The target without its secrets."""
        return {"url": self.url, "original_id": self.original_id}


class JobReports:
    """Pushes job-finish events to the callback URLs of the accounts that registered one."""

    def __init__(self, clock: Clock, *, delay_s: float = 0.2, log_size: int = 1000) -> None:
        self._clock = clock
        self.delay_s = delay_s
        self.targets: dict[str, CallbackTarget] = {}
        self.blocking: set[str] = set()
        self.system_failing: set[str] = set()
        self.pushed: deque[JsonObject] = deque(maxlen=log_size)
        self._tasks: set[asyncio.Task[None]] = set()

    def template_sent(self, appid: str, openid: str, msgid: int) -> None:
        """Report a template message's fate to ``openid`` after ``delay_s``."""
        if openid in self.blocking:
            status = "failed:user block"
        elif openid in self.system_failing:
            status = "failed: system failed"
        else:
            status = "success"
        self._schedule(appid, openid, "TEMPLATESENDJOBFINISH", {"MsgID": msgid, "Status": status})

    def mass_sent(self, appid: str, openids: list[str] | None, msgid: int) -> None:
        """Report a mass send's reach (a send to a tag or to all counts no one)."""
        total = len(openids or [])
        blocked = sum(1 for o in openids or [] if o in self.blocking)
        errors = sum(
            1 for o in openids or [] if o in self.system_failing and o not in self.blocking
        )
        filtered = total - blocked
        sent = filtered - errors
        fields: JsonObject = {
            "MsgID": msgid,
            "Status": "send success" if sent > 0 or total == 0 else "send fail",
            "TotalCount": total,
            "FilterCount": filtered,
            "SentCount": sent,
            "ErrorCount": errors,
        }
        self._schedule(appid, MASS_REPORTER, "MASSSENDJOBFINISH", fields)

    def _schedule(self, appid: str, openid: str, event: str, fields: JsonObject) -> None:
        target = self.targets.get(appid)
        if target is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._push(appid, target, openid, event, fields)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(
        self, appid: str, target: CallbackTarget, openid: str, event: str, fields: JsonObject
    ) -> None:
        await asyncio.sleep(self.delay_s)
        pusher = CallbackPusher(target.token, appid, target.original_id, target.encoding_aes_key)
        params, body = pusher.sign(
            pusher.event(openid, event, create_time=int(time.time()), **fields),
            encrypt=target.encoding_aes_key is not None,
        )
        record: JsonObject = {"at": self._clock(), "appid": appid, "event": event, **fields}
        record["openid"] = openid
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                answer = await http.post(target.url, params=params, content=body)
            record["status_code"] = answer.status_code
        except httpx.HTTPError as exc:
            record["error"] = type(exc).__name__
        self.pushed.append(record)
