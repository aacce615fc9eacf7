"""Durable transitions after the claim: leaving the plan for the fallback channel, and the end.

Both are batched across concurrent deliveries (:class:`libs.common.group_commit.GroupCommit`).
The switch to the fallback channel is committed before the fallback send, so a crash after it
resumes in the fallback and never goes back to the plan's channels (the user never gets both).
A terminal transition is stored with the history gathered during the run, and with the
follower marked unsubscribed when WeChat said so (43004).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.group_commit import GroupCommit
from services.dispatcher import repository
from services.dispatcher.delivery.run import now
from services.dispatcher.repository import Finish, PendingEvent


@dataclass(frozen=True, slots=True)
class Finishing:
    """A terminal transition waiting for the finish batch."""

    finish: Finish
    account_id: int
    # The openid WeChat called unsubscribed (43004), to mark the customer so.
    unsubscribed: str | None = None


@dataclass(frozen=True, slots=True)
class FallbackSwitch:
    """A notification leaving its plan for the fallback channel, with its history so far."""

    notification_id: str
    events: tuple[PendingEvent, ...]
    # The claim generation of the run switching (a run that lost its lease must not).
    claim: int = 0


class Transitions:
    """Batches fallback switches and terminal transitions into shared transactions."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, fallback: str, batch_max: int
    ) -> None:
        self._sessions = sessions
        self._fallback = fallback
        self._finishes: GroupCommit[Finishing, bool] = GroupCommit(
            self._finish_batch, max_items=batch_max
        )
        self._switches: GroupCommit[FallbackSwitch, bool] = GroupCommit(
            self._switch_batch, max_items=batch_max
        )

    async def finish(self, item: Finishing) -> bool:
        """Commit a terminal transition; False when another worker finished it first."""
        return await self._finishes.submit(item)

    async def switch_to_fallback(self, item: FallbackSwitch) -> bool:
        """Record durably that a notification left its plan for the fallback channel; False
        when the run lost its claim (another worker took the notification over)."""
        return await self._switches.submit(item)

    async def drain(self) -> None:
        """Wait for the batches being written."""
        await self._finishes.drain()
        await self._switches.drain()

    async def _finish_batch(self, items: list[Finishing]) -> list[bool]:
        first: dict[str, Finishing] = {}
        for item in items:
            first.setdefault(item.finish.notification_id, item)
        at = now()
        async with self._sessions.begin() as session:
            done = await repository.finish_many(
                session, finishes=[item.finish for item in first.values()], now=at
            )
            unsubscribed: dict[int, list[str]] = {}
            for item in first.values():
                if item.unsubscribed and item.finish.notification_id in done:
                    unsubscribed.setdefault(item.account_id, []).append(item.unsubscribed)
            for account_id, openids in unsubscribed.items():
                await repository.mark_unsubscribed(
                    session, account_id=account_id, openids=openids, now=at
                )
        return [
            item.finish.notification_id in done and first[item.finish.notification_id] is item
            for item in items
        ]

    async def _switch_batch(self, items: list[FallbackSwitch]) -> list[bool]:
        async with self._sessions.begin() as session:
            switched = await repository.set_channel_many(
                session,
                claims=[(item.notification_id, item.claim) for item in items],
                channel=self._fallback,
            )
            await repository.add_events_many(
                session,
                events=[
                    (item.notification_id, event)
                    for item in items
                    if item.notification_id in switched
                    for event in item.events
                ],
            )
        return [item.notification_id in switched for item in items]
