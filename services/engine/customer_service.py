"""Followers' side of human customer service: asking for a person, talking, ending, rating.

Runs before command matching. While a follower has an open session, their messages go to the
transcript (and the agent's console), not to commands, and the passive reply is empty
(``success``); the configured end word ends it. Without a session, a request word or the menu key
queues one (or, outside service hours, answers with the off-hours text and the way to leave a
message); a "1".."5" shortly after a close is the rating. Everything else is left to commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import Bus
from libs.common.cs import effects as cs_effects
from libs.common.cs import texts, workflow
from libs.common.cs.effects import Effects
from libs.common.cs.hours import describe, is_open
from libs.common.db.models import CsTicket, utcnow
from libs.common.observability.logging import get_logger
from libs.common.wechat import (
    ClickEvent,
    Event,
    ImageMessage,
    InboundMessage,
    LinkMessage,
    LocationMessage,
    Reply,
    ShortVideoMessage,
    TextMessage,
    TextReply,
    UnsubscribeEvent,
    VideoMessage,
    VoiceMessage,
)
from services.engine.config import AccountConfig, CsRouting
from services.engine.settings import EngineSettings

log = get_logger(__name__)

ANSWER = "cs"


@dataclass(frozen=True, slots=True)
class Intercepted:
    """Customer service took the message: the passive reply (``None``: ``success``)."""

    reply: Reply | None


def _words(text: str) -> str:
    return "".join(text.split())


def transcript_line(message: InboundMessage) -> tuple[str, str, dict[str, Any]]:
    """(kind, readable content, details) of a follower's message for the transcript."""
    if isinstance(message, TextMessage):
        return "text", message.content, {}
    if isinstance(message, VoiceMessage):
        return (
            "voice",
            message.recognition or "",
            {"media_id": message.media_id, "format": message.format},
        )
    if isinstance(message, ImageMessage):
        return "image", "", {"media_id": message.media_id, "pic_url": message.pic_url}
    if isinstance(message, LocationMessage):
        return (
            "location",
            message.label,
            {"latitude": message.latitude, "longitude": message.longitude},
        )
    if isinstance(message, LinkMessage):
        return "link", message.title, {"url": message.url, "description": message.description}
    if isinstance(message, VideoMessage | ShortVideoMessage):
        return "video", "", {"media_id": message.media_id}
    return message.msg_type, "", {}


class CustomerService:
    """Routes followers' messages into and through customer-service sessions."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], bus: Bus, settings: EngineSettings
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._settings = settings

    async def intercept(
        self, message: InboundMessage, account: AccountConfig, dedup_key: str
    ) -> Intercepted | None:
        """Handle the message if customer service owns it; ``None`` leaves it to commands."""
        routing = account.cs
        if routing is None or not routing.enabled:
            return None
        now = utcnow()
        async with self._sessions.begin() as session:
            result, effects = await self._route(session, message, account, routing, dedup_key, now)
        if effects is not None:
            await cs_effects.publish(self._bus, effects)
        return result

    async def _route(
        self,
        session: AsyncSession,
        message: InboundMessage,
        account: AccountConfig,
        routing: CsRouting,
        dedup_key: str,
        now: datetime,
    ) -> tuple[Intercepted | None, Effects | None]:
        text = self._text(message)
        words = _words(text) if text is not None else None
        openid = message.from_user
        current = await workflow.get_open(session, account_id=account.id, openid=openid)
        if current is not None:
            if isinstance(message, UnsubscribeEvent):
                # Gone: nobody to serve or to ask for a rating; the agent's seat is freed.
                effects = await workflow.close(
                    session, current, reason="left", now=now, **self._rules()
                )
                return None, effects
            if isinstance(message, Event):
                return None, None  # menu views, location reports, follows: not conversation
            if words == routing.end_keyword:
                effects = await workflow.close(
                    session, current, reason="customer", now=now, **self._rules()
                )
                reply = workflow.closing_reply("customer", asked=current.rating_until is not None)
                return Intercepted(TextReply(reply)), effects
            kind, content, details = transcript_line(message)
            effects = await workflow.append_customer(
                session,
                current,
                msg_id=dedup_key,
                kind=kind,
                content=content,
                payload=details,
                now=now,
            )
            if current.state == "queued" and words in routing.keywords:
                ahead = await workflow.queue_position(session, current)
                return Intercepted(TextReply(texts.STILL_QUEUED.format(ahead=ahead))), effects
            return Intercepted(None), effects
        if words is not None and len(words) == 1 and words in "12345":
            pending = await workflow.get_awaiting_rating(
                session, account_id=account.id, openid=openid, now=now
            )
            if pending is not None:
                effects = await workflow.rate(session, pending, rating=int(words), now=now)
                return Intercepted(TextReply(texts.RATING_THANKS)), effects
        asks = (words is not None and words in routing.keywords) or (
            isinstance(message, ClickEvent) and message.key == routing.menu_key
        )
        if asks:
            return await self._request(session, account, routing, openid, dedup_key, now)
        if (
            text is not None
            and words is not None
            and routing.message_keyword
            and words.startswith(routing.message_keyword)
        ):
            return await self._leave_message(session, account, routing, openid, text, dedup_key)
        return None, None

    async def _request(
        self,
        session: AsyncSession,
        account: AccountConfig,
        routing: CsRouting,
        openid: str,
        dedup_key: str,
        now: datetime,
    ) -> tuple[Intercepted, Effects | None]:
        if not is_open(
            hours=routing.hours, holidays=routing.holidays, timezone=routing.timezone, at=now
        ):
            text = routing.off_hours_text or texts.OFF_HOURS.format(hours=describe(routing.hours))
            if routing.message_keyword:
                text = f"{text}\n{texts.LEAVE_MESSAGE.format(keyword=routing.message_keyword)}"
            return Intercepted(TextReply(text)), None
        requested = await workflow.request(
            session,
            account_id=account.id,
            openid=openid,
            group=routing.group,
            now=now,
            strategy=self._settings.cs_assignment,
            quota=self._settings.cs_window_sends,
            step=self._settings.cs_position_step,
        )
        if requested.session.state == "assigned":
            text = texts.QUEUED_FIRST
        elif requested.ahead == 0:
            text = texts.QUEUED_NEXT
        else:
            text = texts.QUEUED.format(ahead=requested.ahead)
        if not requested.created:
            if requested.session.state == "assigned":
                return Intercepted(None), requested.effects
            text = texts.STILL_QUEUED.format(ahead=requested.ahead)
        return Intercepted(TextReply(text)), requested.effects

    async def _leave_message(
        self,
        session: AsyncSession,
        account: AccountConfig,
        routing: CsRouting,
        openid: str,
        text: str,
        dedup_key: str,
    ) -> tuple[Intercepted, None]:
        body = text.strip()[len(routing.message_keyword) :].strip(" ：:，,")
        if not body:
            reply = texts.TICKET_EMPTY.format(keyword=routing.message_keyword)
            return Intercepted(TextReply(reply)), None
        if await workflow.ticket_exists(session, msg_id=dedup_key):
            return Intercepted(TextReply(texts.TICKET_SAVED)), None
        session.add(CsTicket(account_id=account.id, openid=openid, content=body, msg_id=dedup_key))
        await session.flush()
        log.info("cs_ticket_left", account=account.code)
        return Intercepted(TextReply(texts.TICKET_SAVED)), None

    def _rules(self) -> dict[str, Any]:
        return {
            "strategy": self._settings.cs_assignment,
            "quota": self._settings.cs_window_sends,
            "rating_window_s": self._settings.cs_rating_window_s,
            "step": self._settings.cs_position_step,
        }

    @staticmethod
    def _text(message: InboundMessage) -> str | None:
        if isinstance(message, TextMessage):
            return message.content
        if isinstance(message, VoiceMessage) and message.recognition:
            return message.recognition
        return None

    async def close_idle(self) -> None:
        """Close sessions idle longer than their account's timeout (run periodically)."""
        async with self._sessions.begin() as session:
            effects = await workflow.close_idle(
                session,
                now=utcnow(),
                default_timeout_s=self._settings.cs_idle_timeout_s,
                **self._rules(),
            )
        await cs_effects.publish(self._bus, effects)
