"""Publishing stored notifications on ``wx.outbound`` and remembering which publishes failed.

The message is a doorbell (the dispatcher reads the row it claims, see
:mod:`services.dispatcher.delivery`): the notification id as message id and body, the account
and priority that route it. Publishes run concurrently, so the broker's confirms pipeline. A row
whose confirm did not come keeps ``reason = publish_failed`` (and a history event), so an
idempotent retry of the caller — or the sweeper — publishes it again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import OUTBOUND, Bus
from libs.common.db.models import utcnow
from libs.common.observability.logging import get_logger
from libs.common.schemas.outbound import OutboundRequested
from services.gateway import repository

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PendingPublish:
    """A stored notification still to be announced on the bus."""

    id: str
    account: str
    # Routing only: phone-only notifications go to ``<priority>.sms``.
    openid: str | None
    priority: str
    job_id: str | None


class OutboundPublisher:
    """Publishes notifications on ``wx.outbound``, at most ``concurrency`` at once."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bus: Bus, *, concurrency: int = 256
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._slots = asyncio.Semaphore(concurrency)

    async def publish(self, pending: list[PendingPublish]) -> set[str]:
        """Publish every message concurrently; returns the ids whose confirm did not come."""
        if not pending:
            return set()
        outcomes = await asyncio.gather(*(self._publish(item) for item in pending))
        return {failed for failed in outcomes if failed is not None}

    async def _publish(self, item: PendingPublish) -> str | None:
        message = OutboundRequested(
            message_id=item.id,
            correlation_id=item.job_id,
            account=item.account,
            priority="bulk" if item.priority == "bulk" else "alert",
            origin="notification",
            notification_id=item.id,
        )
        routing_key = f"{item.priority}.{'wechat' if item.openid else 'sms'}"
        async with self._slots:
            try:
                await self._bus.publish(
                    OUTBOUND, routing_key, message.to_bytes(), message_id=item.id
                )
            except Exception:
                log.warning("notification_publish_failed", id=item.id, exc_info=True)
                return item.id
        return None

    async def record_outcomes(
        self, failed: set[str], cleared: set[str], republished: set[str]
    ) -> None:
        """Flag rows whose publish failed (unless already flagged); unflag republished ones."""
        newly_failed = failed - republished
        try:
            async with self._sessions.begin() as session:
                now = utcnow()
                await repository.mark_publish_failed(
                    session, ids=newly_failed, detail="publish to the bus failed", now=now
                )
                await repository.clear_publish_failed(session, ids=cleared, now=now)
                # Republished just now: a duplicate arriving next need not publish it again.
                await repository.touch(session, ids=cleared, now=now)
        except Exception:
            # Without the flag the row still answers idempotent retries with its id; only the
            # automatic republish on retry is lost, so this must not turn a 503 into a 500.
            log.exception("notification_publish_flag_failed", ids=sorted(newly_failed))
