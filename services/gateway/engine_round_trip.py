"""A callback's reply from the engine, the callback ledger keeping WeChat's retries in step.

::

    claim in the ledger
      first attempt -> request/reply over wx.inbound within the reply deadline
                       deadline passed: the ledger's reply if the engine answered meanwhile
                       bus failed: the message goes to the backlog (published later)
      WeChat retry  -> the first attempt's reply (REPLIED), wait for it (PENDING), or none
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.common.bus import INBOUND, Bus, RequestTimeout
from libs.common.callback_ledger import CallbackLedger, LedgerState
from libs.common.observability.logging import get_logger
from libs.common.schemas.inbound import InboundReceived, PassiveReply
from libs.common.wechat import InboundMessage
from services.gateway.accounts import CallbackAccount
from services.gateway.inbound_backlog import InboundBacklog, Pending
from services.gateway.metrics import LATE_REPLIES
from services.gateway.settings import GatewaySettings

# The endpoint's logger: a callback's log events keep one logger name, wherever they are raised.
log = get_logger("services.gateway.callback")

# A reply as the engine sent it (``libs.common.wechat.reply_from_dict``), or None for "success";
# and the outcome the callback is counted under.
Answer = tuple[dict[str, Any] | None, str]


class EngineRoundTrip:
    """Answers accepted callbacks: asks the engine once per message, replays it to retries."""

    def __init__(
        self,
        settings: GatewaySettings,
        bus: Bus,
        ledger: CallbackLedger,
        backlog: InboundBacklog,
    ) -> None:
        self._settings = settings
        self._bus = bus
        self._ledger = ledger
        self._backlog = backlog

    async def answer(
        self, account: CallbackAccount, message: InboundMessage, key: str, encrypted: bool
    ) -> Answer:
        """The reply for the callback whose ledger key is ``key``, and its outcome."""
        # One method for both branches: this runs once per callback, a layer less per message.
        previous = await self._ledger.claim(key)
        if previous is not None:
            # WeChat's retry of a message already claimed: answer what the first attempt got.
            entry = previous
            if entry.state is LedgerState.PENDING:
                entry = await self._ledger.wait_settled(
                    key, timeout=self._settings.reply_deadline_s
                )
            if entry.state is LedgerState.REPLIED:
                return _decode_reply(entry.reply), "retry_replied"
            return None, "retry_success"

        deadline = self._settings.reply_deadline_s
        request = InboundReceived(
            account=account.code,
            kind=message.kind,
            dedup_key=key,
            fields=message.raw,
            encrypted=encrypted,
            reply_by=datetime.now(UTC) + timedelta(seconds=deadline),
        )
        try:
            response = await self._bus.request(
                INBOUND,
                f"{account.code}.{message.kind}",
                request.to_bytes(),
                timeout=deadline,
                message_id=request.message_id,
            )
        except RequestTimeout:
            before = await self._ledger.expire(key)
            if before is not None and before.state is LedgerState.REPLIED:
                return _decode_reply(before.reply), "replied"
            LATE_REPLIES.labels(account.code).inc()
            return None, "deadline_missed"
        except Exception:
            return await self._keep(account, message, key, request)
        return PassiveReply.from_bytes(response.body).reply, "replied"

    async def _keep(
        self, account: CallbackAccount, message: InboundMessage, key: str, request: InboundReceived
    ) -> Answer:
        """The bus failed the request: answer ``success`` and publish the message later.

        WeChat does not send a message again once it got an answer, so the message is kept in
        the backlog; its ledger entry expires, so the engine's answer goes out as a late reply.
        """
        log.warning(
            "inbound_publish_failed", message_id=request.message_id, dedup_key=key, exc_info=True
        )
        before = await self._ledger.expire(key)
        if before is not None and before.state is LedgerState.REPLIED:
            # It did reach the engine, which answered before the failure surfaced here.
            return _decode_reply(before.reply), "replied"
        kept = self._backlog.add(
            Pending(f"{account.code}.{message.kind}", request.to_bytes(), request.message_id)
        )
        if not kept:
            log.error("inbound_backlog_full", message_id=request.message_id, dedup_key=key)
            await self._ledger.release(key)
            return None, "failed"
        return None, "kept"


def _decode_reply(raw: bytes) -> dict[str, Any] | None:
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None
