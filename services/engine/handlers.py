"""The engine's bus edge: one ``InboundReceived`` in, one answer out — exactly once.

The callback ledger arbitrates with the gateway (see ``libs/common/callback_ledger/``): if our
answer lands while the gateway still waits, it goes back as the passive reply; if the gateway
already gave up, it goes to ``wx.outbound`` as a customer-service message. A redelivered message
whose answer is already recorded is not answered again.

An entry that is gone when the answer is ready (the engine was away longer than the ledger's
TTL, or the store lost it) means nobody waits for a passive reply any more: the gateway answered
``success`` long ago. The answer goes out as a customer-service message too, while WeChat's 48 h
window since the user's message is open (the dispatcher sends each late reply at most once).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import OUTBOUND, Bus, Message, Retry
from libs.common.bus.batcher import EventBatcher
from libs.common.callback_ledger import CallbackLedger, LedgerState
from libs.common.observability.logging import bind_ids, clear_ids, get_logger
from libs.common.schemas.events import InboundHandled, InboundHandledBatch
from libs.common.schemas.inbound import InboundReceived, PassiveReply
from libs.common.schemas.outbound import OutboundRequested
from libs.common.wechat import (
    InboundMessage,
    Reply,
    SubscribeEvent,
    UnsubscribeEvent,
    parse_message,
)
from services.engine import repository
from services.engine.config import AccountConfig, AccountConfigCache
from services.engine.customer_service import ANSWER as CS_ANSWER
from services.engine.customer_service import CustomerService
from services.engine.delivery_reports import job_finished, publish_job_finished
from services.engine.interactions import InteractionBook, is_interaction
from services.engine.menu_clicks import menu_click, publish_click
from services.engine.metrics import HANDLE_SECONDS, MESSAGES, OUTCOMES
from services.engine.responder import Responder

log = get_logger(__name__)

# WeChat accepts customer-service messages for 48 h after the user's last message.
CUSTOMER_SERVICE_WINDOW_S = 48 * 3600


class InboundHandler:
    """Answers inbound messages and settles each one in the callback ledger."""

    def __init__(
        self,
        *,
        bus: Bus,
        ledger: CallbackLedger,
        sessions: async_sessionmaker[AsyncSession],
        configs: AccountConfigCache,
        responder: Responder,
        events: EventBatcher[InboundHandled, InboundHandledBatch],
        customer_service: CustomerService | None = None,
        short_link_prefix: str = "",
        interactions: InteractionBook | None = None,
    ) -> None:
        self._bus = bus
        self._short_links = short_link_prefix
        self._ledger = ledger
        self._sessions = sessions
        self._configs = configs
        self._responder = responder
        self._events = events
        self._cs = customer_service
        self._interactions = interactions

    async def __call__(self, request: InboundReceived, bus_message: Message) -> None:
        started = time.perf_counter()
        bind_ids(message_id=request.message_id, account=request.account)
        try:
            await self._handle(request, bus_message, started)
        except (OperationalError, DBAPIError, OSError) as exc:
            # The database is away (restarting): put the message back and try again, rather
            # than let a second failure dead-letter it — the follower would never be answered.
            log.warning("inbound_db_unavailable", error=str(exc))
            raise Retry("database unavailable", delay_s=1.0) from exc
        finally:
            clear_ids()

    async def _handle(self, request: InboundReceived, bus_message: Message, started: float) -> None:
        # Only a redelivery can find its answer already settled; first deliveries skip the look-up.
        entry = await self._ledger.get(request.dedup_key) if bus_message.redelivered else None
        if entry is not None and entry.state in (LedgerState.REPLIED, LedgerState.FORWARDED):
            # Redelivered after we answered: repeat the passive reply (harmless), send nothing new.
            if entry.state is LedgerState.REPLIED:
                await self._reply(bus_message, entry.reply)
            OUTCOMES.labels("duplicate").inc()
            return

        message = parse_message(request.fields)
        account = await self._configs.get(request.account)
        if account is None:
            log.warning("inbound_for_unknown_account")
            await self._settle(request, bus_message, message, None)
            return
        await self._record_side_effects(account, message, request.dedup_key)
        if self._interactions is not None and is_interaction(message):
            self._interactions.note(account.id, message.from_user, message.create_time)
        intercepted = (
            await self._cs.intercept(message, account, request.dedup_key) if self._cs else None
        )
        command: str | None = None
        if intercepted is not None:
            answer, reply = CS_ANSWER, intercepted.reply
        else:
            answer, reply, command = await self._responder.respond(message, account)
        outcome = await self._settle(request, bus_message, message, reply)
        elapsed = time.perf_counter() - started
        HANDLE_SECONDS.observe(elapsed)
        MESSAGES.labels(account.code, message.kind, answer or "-").inc()
        event = InboundHandled(
            correlation_id=request.message_id,
            account=account.code,
            kind=message.kind,
            openid=message.from_user,
            answer=answer,
            outcome=outcome,
            handle_ms=round(elapsed * 1000, 3),
            command=command,
            scene=message.scene if isinstance(message, SubscribeEvent) else None,
        )
        self._events.add(event)

    async def _record_side_effects(
        self, account: AccountConfig, message: InboundMessage, dedup_key: str
    ) -> None:
        click = menu_click(account.code, message, dedup_key, short_links=self._short_links)
        if click is not None:
            await publish_click(self._bus, click)
            return
        report = job_finished(account.code, message)
        if report is not None:
            try:
                await publish_job_finished(self._bus, report)
            except Exception as exc:
                raise Retry("delivery report could not be published") from exc
            return
        if not isinstance(message, SubscribeEvent | UnsubscribeEvent):
            return
        at = datetime.fromtimestamp(message.create_time, UTC)
        async with self._sessions.begin() as session:
            if isinstance(message, SubscribeEvent):
                await repository.record_subscribe(
                    session,
                    account_id=account.id,
                    openid=message.from_user,
                    at=at,
                    scene=message.scene,
                )
            else:
                await repository.record_unsubscribe(
                    session, account_id=account.id, openid=message.from_user, at=at
                )

    async def _settle(
        self,
        request: InboundReceived,
        bus_message: Message,
        message: InboundMessage,
        reply: Reply | None,
    ) -> str:
        answer = reply.to_dict() if reply else None
        encoded = json.dumps(answer, ensure_ascii=False).encode() if answer else b""
        before = await self._ledger.resolve(request.dedup_key, encoded)
        # No entry: it outlived its TTL (or the store lost it), so the callback was answered
        # ``success`` long ago and the answer can only go out as a late reply.
        state = before.state if before is not None else LedgerState.EXPIRED
        if state is LedgerState.EXPIRED:
            if reply is not None:
                await self._forward_late(request, message, reply)
            await self._ledger.forward(request.dedup_key)
            OUTCOMES.labels("late").inc()
            return "late"
        if state is LedgerState.FORWARDED:
            OUTCOMES.labels("duplicate").inc()
            return "duplicate"
        if state is LedgerState.REPLIED and before is not None:
            # Answered before (a redelivery): repeat what was recorded, not what we just made.
            await self._reply(bus_message, before.reply)
        else:
            await self._send_reply(bus_message, answer)
        OUTCOMES.labels("passive").inc()
        return "passive"

    async def _reply(self, bus_message: Message, encoded: bytes) -> None:
        await self._send_reply(bus_message, json.loads(encoded) if encoded else None)

    async def _send_reply(self, bus_message: Message, answer: dict[str, Any] | None) -> None:
        if not bus_message.reply_to:
            return
        body = PassiveReply(correlation_id=bus_message.message_id, reply=answer)
        await self._bus.reply(bus_message, body.to_bytes())

    async def _forward_late(
        self, request: InboundReceived, message: InboundMessage, reply: Reply
    ) -> None:
        age_s = time.time() - message.create_time
        if age_s > CUSTOMER_SERVICE_WINDOW_S:
            log.warning("late_reply_past_window", age_s=round(age_s))
            return
        try:
            custom = reply.to_custom_message(message.from_user)
        except ValueError:
            log.warning("late_reply_not_sendable", reply_type=type(reply).__name__)
            return
        outbound = OutboundRequested(
            # Derived from the callback so a redelivery republishes the same id (dispatcher dedups).
            message_id=f"late:{request.dedup_key}",
            correlation_id=request.message_id,
            account=request.account,
            openid=message.from_user,
            priority="alert",
            origin="late_reply",
            custom_message=custom,
        )
        try:
            await self._bus.publish(
                OUTBOUND, "alert.wechat", outbound.to_bytes(), message_id=outbound.message_id
            )
        except Exception as exc:
            # Not on the bus yet: leave the ledger EXPIRED and let the message be redelivered.
            raise Retry("late reply could not be published") from exc
