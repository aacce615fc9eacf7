"""Republishing accepted notifications that may never have reached the bus.

A notification is committed before it is published. If the publish failed (flagged
``publish_failed``) or the gateway died between the commit and the confirm, the row would wait
forever in ``accepted``. Every replica sweeps such rows and publishes them again; the dispatcher
claims a notification atomically, so a message published twice is still delivered once. A row past
its deadline is not lost either: the dispatcher sends it to its fallback channel or fails it with a
reason (R-PERF-3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.observability.logging import get_logger
from libs.common.periodic import Periodic
from services.gateway import repository
from services.gateway.notifications.publishing import OutboundPublisher, PendingPublish
from services.gateway.repository import PUBLISH_FAILED

log = get_logger(__name__)


class UnpublishedSweeper:
    """Every ``interval_s``, republish flagged rows and rows ``accepted`` for too long."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: OutboundPublisher,
        *,
        interval_s: float = 30.0,
        stale_after_s: float = 120.0,
        batch: int = 500,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._stale_after = timedelta(seconds=stale_after_s)
        self._batch = batch
        self._loop = Periodic(self.sweep, interval_s=interval_s, name="notification sweeper")

    async def sweep(self) -> int:
        """Republish one batch; returns how many were published."""
        cutoff = datetime.now(UTC) - self._stale_after
        async with self._sessions() as session:
            rows = await repository.list_unpublished(
                session, created_before=cutoff, limit=self._batch
            )
        pending = [
            PendingPublish(row.id, row.account, row.openid, row.priority, row.job_id)
            for row in rows
        ]
        if not pending:
            return 0
        failed = await self._publisher.publish(pending)
        flagged = {row.id for row in rows if row.reason == PUBLISH_FAILED}
        await self._publisher.record_outcomes(failed, flagged - failed, flagged)
        log.info("notifications_republished", count=len(pending) - len(failed))
        return len(pending) - len(failed)

    async def start(self) -> None:
        """Sweep in the background."""
        await self._loop.start()

    async def stop(self) -> None:
        """Stop sweeping."""
        await self._loop.stop()
