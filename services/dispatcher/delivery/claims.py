"""Claiming notifications: ``accepted`` → ``sending``, owned by us for a lease.

Exactly one worker attempts a notification at a time: a claim takes an ``accepted`` row, or a
``sending`` row whose lease expired (its worker died), and bumps the claim generation
(``attempts``), the fencing token every finish must still match. A bus message of a notification
another run holds is kept (unacked) and claimed again until that run ends or its lease runs out
(its worker may die holding it).

Concurrent claims share one transaction (:class:`libs.common.group_commit.GroupCommit`): one
``UPDATE … RETURNING`` takes the batch and returns every column the delivery needs, the
``sending`` history entries are inserted with it, and first-time claims read their recipients'
states (``suppression.py``) and take their customer-service windows in the same commit. A
dead-letter replay claims alone and may reopen a ``failed`` notification.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.group_commit import GroupCommit
from libs.common.observability.logging import get_logger
from libs.common.periodic import Periodic
from services.dispatcher import repository
from services.dispatcher.delivery.run import now
from services.dispatcher.delivery.suppression import blocks_wechat, states_in_claim
from services.dispatcher.delivery.windows import ServiceWindows
from services.dispatcher.repository import Claimed, PendingEvent, RecipientState, Unclaimed

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Claim:
    """What claiming one bus message found: the claimed notification, or its current status."""

    claimed: Claimed | None
    # The status of an unclaimable notification (None: there is no such notification).
    status: str | None = None
    # Whether the customer-service window was taken in the claim (None: decide later).
    window: bool | None = None
    # Seconds left on the lease of the worker that holds it (``sending`` elsewhere).
    held_s: float = 0.0
    # The recipient's state read in the claim (None: look it up when the run starts).
    recipient: RecipientState | None = None


class Claims:
    """Claims notifications, batching concurrent claims into one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        windows: ServiceWindows,
        *,
        batch_max: int,
        lease_s: float,
        default_deadline: timedelta = timedelta(seconds=30),
    ) -> None:
        self._sessions = sessions
        self._windows = windows
        self._lease = timedelta(seconds=lease_s)
        self._default_deadline = default_deadline
        self.batches: GroupCommit[str, Claim] = GroupCommit(self.claim_batch, max_items=batch_max)

    async def claim(self, notification_id: str, *, replay: bool = False) -> Claim:
        """Claim one notification (a dead-letter replay claims alone)."""
        if replay:
            return await self._claim_replay(notification_id)
        return await self.batches.submit(notification_id)

    async def drain(self) -> None:
        """Wait for the claims being written."""
        await self.batches.drain()

    async def claim_batch(self, ids: list[str]) -> list[Claim]:
        """Claim a batch of notifications in one transaction (and take their windows)."""
        at = now()
        unique = list(dict.fromkeys(ids))
        async with self._sessions.begin() as session:
            claimed = await repository.claim_many(
                session, notification_ids=unique, now=at, lease=self._lease
            )
            missing = [nid for nid in unique if nid not in claimed]
            statuses = (
                await repository.get_statuses(session, notification_ids=missing) if missing else {}
            )
            await repository.add_events_many(
                session,
                events=[
                    (c.id, PendingEvent(at, "sending", f"{_claim_detail(c)} (run {c.attempts})"))
                    for c in claimed.values()
                ],
            )
            recipients = await states_in_claim(session, list(claimed.values()))
            # WeChat will not be used for these: they must not spend a window's send.
            blocked = {
                nid
                for nid, state in recipients.items()
                if blocks_wechat(state, claimed[nid].event_type)
            }
            windows = await self._windows.take_in_claim(
                session, [row for row in claimed.values() if row.id not in blocked]
            )
        results: list[Claim] = []
        seen: set[str] = set()
        for nid in ids:
            if nid in seen:
                # The same message twice in one batch: the first delivery owns it.
                results.append(Claim(None, "sending"))
                continue
            seen.add(nid)
            row = claimed.get(nid)
            results.append(
                Claim(row, window=windows.get(nid), recipient=recipients.get(nid))
                if row is not None
                else _unclaimed(statuses.get(nid))
            )
        return results

    async def _claim_replay(self, nid: str) -> Claim:
        """Claim one notification replayed from the dead letters (``failed`` may be reopened).

        An operator's replay is a new try: a notification whose deadline has passed gets its
        original delay budget again from now (at least the default), otherwise it would be
        refused at once as "deadline passed" and dead-lettered again without a single send.
        """
        at = now()
        async with self._sessions.begin() as session:
            claimed = await repository.claim(
                session, notification_id=nid, now=at, lease=self._lease, reopen_failed=True
            )
            if claimed is None:
                return _unclaimed(await repository.get_status(session, notification_id=nid))
            detail = f"replayed from the dead-letter queue (run {claimed.attempts})"
            if claimed.deadline_at is not None and claimed.deadline_at <= at:
                budget = max(claimed.deadline_at - claimed.created_at, self._default_deadline)
                claimed = replace(claimed, deadline_at=at + budget)
                await repository.set_deadline(
                    session, notification_id=nid, deadline_at=claimed.deadline_at
                )
                detail += f", new deadline in {budget.total_seconds():.0f} s"
            await repository.add_events(
                session, notification_id=nid, events=[PendingEvent(at, "sending", detail)]
            )
        return Claim(claimed)


class Leases:
    """Renews the leases of this worker's runs in one statement; releases abandoned ones."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, lease_s: float) -> None:
        self._sessions = sessions
        self._lease = timedelta(seconds=lease_s)
        self._held: dict[str, int] = {}
        self._loop = Periodic(self.renew, interval_s=lease_s / 3, name="claim leases")

    def hold(self, claimed: Claimed) -> None:
        """Keep ``claimed``'s lease alive until :meth:`done`."""
        self._held[claimed.id] = claimed.attempts

    def done(self, claimed: Claimed) -> None:
        """The run ended (finished, or someone else's now)."""
        if self._held.get(claimed.id) == claimed.attempts:
            del self._held[claimed.id]

    async def renew(self) -> int:
        """Extend every held lease; returns how many were still ours."""
        claims = list(self._held.items())
        if not claims:
            return 0
        async with self._sessions.begin() as session:
            return await repository.renew_leases(session, claims=claims, until=now() + self._lease)

    async def release(self, claimed: Claimed) -> None:
        """Give up the lease of a run that ended without finishing (best effort)."""
        self.done(claimed)
        try:
            async with self._sessions.begin() as session:
                await repository.release_lease(
                    session, notification_id=claimed.id, claim=claimed.attempts
                )
        except Exception as exc:  # the database is away: the lease runs out by itself
            log.warning("claim_lease_not_released", id=claimed.id, error=str(exc))

    async def start(self) -> None:
        """Renew in the background."""
        await self._loop.start()

    async def stop(self) -> None:
        """Stop renewing."""
        await self._loop.stop()


def _unclaimed(found: Unclaimed | None) -> Claim:
    if found is None:
        return Claim(None)
    held_s = 0.0
    if found.status == "sending" and found.claim_until is not None:
        held_s = max(0.0, (found.claim_until - now()).total_seconds())
    return Claim(None, found.status, held_s=held_s)


def _claim_detail(claimed: Claimed) -> str:
    return "claimed" if claimed.previous == "accepted" else "resumed"
