"""Customer-service windows (docs/wechat-protocol.md §8.2): a user who wrote to the account in the
last 48 hours (or tapped a menu in the last minute) may get a few free-form messages.

A windowed channel (the customer-service message) may be used only after one send of the window
was taken, durably, together with the channel recorded on the row: a crash after that never
repeats the send. First-time claims take their windows inside the claim transaction, one
look-up per account and batch; a resumed delivery takes its window on its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.dispatcher import repository
from services.dispatcher.accounts import AccountDirectory
from services.dispatcher.delivery.run import now
from services.dispatcher.repository import Claimed


class ServiceWindows:
    """Takes and closes windows for the windowed channel ``channel``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: AccountDirectory,
        channel: str | None,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self.channel = channel

    async def take_in_claim(
        self, session: AsyncSession, claimed: list[Claimed]
    ) -> dict[str, bool | None]:
        """Take the windows of first-time claims inside the claim transaction; only users with
        an open window cost an update. None: decided later (a resumed run)."""
        decided: dict[str, bool | None] = {}
        candidates: dict[int, list[Claimed]] = {}
        at = now()
        for row in claimed:
            if not row.openid or row.previous != "accepted":
                continue  # a resumed run decides from its recorded channel
            config = await self._directory.reminder(row.account_id, row.event_type)
            if config is None or not config.cs_text or self.channel is None:
                decided[row.id] = False
                continue
            candidates.setdefault(row.account_id, []).append(row)
        for account_id, group in candidates.items():
            open_ = await repository.open_windows(
                session,
                account_id=account_id,
                openids=[row.openid for row in group if row.openid],
                now=at,
            )
            for row in group:
                assert row.openid is not None
                decided[row.id] = row.openid in open_ and await self._take(
                    session, account_id, row.openid, row.id, at
                )
        return decided

    async def take(self, account_id: int, openid: str | None, notification_id: str) -> bool:
        """Take one send of an open window with quota left (and record the channel)."""
        if not openid or self.channel is None:
            return False
        async with self._sessions.begin() as session:
            return await self._take(session, account_id, openid, notification_id, now())

    async def close(self, account_id: int, openid: str) -> None:
        """Mark the window closed after WeChat said it is (45015) or used up (45047)."""
        async with self._sessions.begin() as session:
            await repository.close_window(session, account_id=account_id, openid=openid, now=now())

    async def _take(
        self,
        session: AsyncSession,
        account_id: int,
        openid: str,
        notification_id: str,
        at: datetime,
    ) -> bool:
        assert self.channel is not None
        taken = await repository.use_window(session, account_id=account_id, openid=openid, now=at)
        if taken:
            await repository.set_channel(
                session, notification_id=notification_id, channel=self.channel
            )
        return taken
