"""Republishing accepted notifications that may never have reached the bus.

A notification is committed before it is published. If the publish failed (flagged
``publish_failed``) or the gateway died between the commit and the confirm, the row would wait
forever in ``accepted``. Every replica sweeps such rows and publishes them again; the dispatcher
claims a notification atomically, so a message published twice is still delivered once. A row past
its deadline is not lost either: the dispatcher sends it to its fallback channel or fails it with a
reason (R-PERF-3).

A sweep starts a few seconds after a row went quiet (an alert's deadline is tens of seconds) and
scales with the backlog: it republishes page after page until a page comes back short, up to
``max_pages``. A republished row is touched (``updated_at``), so the next page — and the next
sweep — moves on to other rows instead of announcing the same ones again.
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
    """Every ``interval_s``, republish flagged rows and rows ``accepted`` and quiet for too long."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: OutboundPublisher,
        *,
        interval_s: float = 5.0,
        stale_after_s: float = 10.0,
        batch: int = 500,
        max_pages: int = 20,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._stale_after = timedelta(seconds=stale_after_s)
        self._batch = batch
        self._max_pages = max_pages
        self._loop = Periodic(self.sweep, interval_s=interval_s, name="notification sweeper")

    async def sweep(self) -> int:
        """Republish the backlog page by page; returns how many were published."""
        total = 0
        for _ in range(self._max_pages):
            published, more = await self._sweep_page()
            total += published
            if not more:
                break
        if total:
            log.info("notifications_republished", count=total)
        return total

    async def _sweep_page(self) -> tuple[int, bool]:
        """Republish one page; returns how many were published and whether to go on."""
        cutoff = datetime.now(UTC) - self._stale_after
        async with self._sessions() as session:
            rows = await repository.list_unpublished(
                session, untouched_since=cutoff, limit=self._batch
            )
        pending = [
            PendingPublish(row.id, row.account, row.openid, row.priority, row.job_id)
            for row in rows
        ]
        if not pending:
            return 0, False
        failed = await self._publisher.publish(pending)
        flagged = {row.id for row in rows if row.reason == PUBLISH_FAILED}
        await self._publisher.record_outcomes(failed, flagged - failed, flagged)
        async with self._sessions.begin() as session:
            await repository.touch(
                session, ids=[p.id for p in pending if p.id not in failed], now=datetime.now(UTC)
            )
        # A failed publish means the bus is down: the next sweep tries again.
        return len(pending) - len(failed), len(rows) == self._batch and not failed

    async def start(self) -> None:
        """Sweep in the background."""
        await self._loop.start()

    async def stop(self) -> None:
        """Stop sweeping."""
        await self._loop.stop()
