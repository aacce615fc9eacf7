"""Accepting notifications: validate, resolve the recipient, store, publish — then answer.

One path serves the single endpoint, the batch endpoint and CSV jobs (a batch of one is a single
request). For every call:

1. :mod:`.validation`: each item is checked against its reminder type and gets its defaults
   (static config comes from the in-memory :class:`ConfigCache`, never from the database);
2. :mod:`.recipients`: ``customer_no`` → openid and phone, one query per account, only if needed;
3. :mod:`.persistence`: every row and its ``accepted`` event in one transaction, idempotency
   keys settled by the unique constraint;
4. :mod:`.publishing`: one doorbell per new row on ``wx.outbound``, confirms awaited.

A row is answered ``accepted`` only after both the commit and the confirm. When the publish
fails the row stays ``accepted`` with ``reason = publish_failed`` and a history event, and the
caller gets a 503 carrying the id: retrying with the same idempotency key republishes a row that
is still ``accepted`` (also one whose gateway died between the commit and the publish, which
nothing flagged). Single requests of one system arriving together share a transaction
(:class:`libs.common.group_commit.GroupCommit`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Notification, NotificationEvent, utcnow
from libs.common.group_commit import GroupCommit
from libs.common.secret_box import SecretBox
from services.gateway import repository
from services.gateway.metrics import ACCEPT_LATENCY, NOTIFICATIONS
from services.gateway.notifications.config import ConfigCache, SystemConfig
from services.gateway.notifications.persistence import store
from services.gateway.notifications.publishing import OutboundPublisher, PendingPublish
from services.gateway.notifications.recipients import resolve_recipients
from services.gateway.notifications.schemas import NotificationCreate
from services.gateway.notifications.validation import Candidate, Rejection, parse, prepare
from services.gateway.repository import PUBLISH_FAILED

Outcome = Literal["accepted", "duplicate", "rejected", "publish_failed"]


@dataclass(slots=True)
class ItemResult:
    """The fate of one item: its id unless rejected, and the error unless accepted."""

    index: int
    outcome: Outcome
    id: str | None = None
    error: Rejection | None = None


@dataclass(frozen=True, slots=True)
class NotificationStatus:
    """A notification as its sender may see it, with its history."""

    notification: Notification
    account: str | None
    history: list[NotificationEvent]


class NotificationService:
    """Accepts notifications for business systems and answers their status queries."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: ConfigCache,
        publisher: OutboundPublisher,
        *,
        box: SecretBox,
        accept_workers: int = 4,
        group_max: int = 200,
        republish_duplicate_after_s: float = 1.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._publisher = publisher
        # Decrypts the phones customers bound on the phone page (for the SMS fallback).
        self._box = box
        self._now = now
        self._accept_workers = accept_workers
        self._group_max = group_max
        self._republish_quiet = timedelta(seconds=republish_duplicate_after_s)
        self._groups: dict[int, GroupCommit[NotificationCreate, ItemResult]] = {}

    @property
    def box(self) -> SecretBox:
        """The secret box sealing the stored recipients' numbers."""
        return self._box

    async def accept_one(self, system: SystemConfig, request: NotificationCreate) -> ItemResult:
        """Accept one validated request, sharing a transaction with concurrent ones.

        Requests of a system that arrive while ``accept_workers`` transactions of that system
        are in flight wait for the next one, which takes all of them (up to ``group_max``): at
        low load each request commits alone, under load the cost of a commit and of the
        session machinery is shared. Each request still gets its own result, only after the
        commit and its own publish confirm.
        """
        group = self._groups.get(system.id)
        if group is None:

            async def accept(requests: list[NotificationCreate]) -> list[ItemResult]:
                return await self.accept_many(system, requests, endpoint="single")

            group = self._groups[system.id] = GroupCommit(
                accept, max_items=self._group_max, max_inflight=self._accept_workers
            )
        return await group.submit(request)

    async def accept_many(
        self,
        system: SystemConfig,
        items: Sequence[NotificationCreate | Any],
        *,
        job_id: str | None = None,
        endpoint: str = "batch",
        replay_of: str | None = None,
    ) -> list[ItemResult]:
        """Accept every valid item in one transaction; one result per item, in order.

        ``replay_of``: the signature of the request carrying the items; an item without an
        idempotency key gets one derived from it and its index, so a replayed request is a
        duplicate of the first.
        """
        started = time.perf_counter()
        now = self._now()
        snapshot = await self._config.get()
        results: list[ItemResult | None] = [None] * len(items)
        candidates: list[Candidate] = []
        for index, raw in enumerate(items):
            try:
                request = parse(raw)
                if replay_of is not None and request.idempotency_key is None:
                    key = replay_key(replay_of, index)
                    request = request.model_copy(update={"idempotency_key": key})
                candidates.append(prepare(index, request, snapshot, now))
            except Rejection as exc:
                results[index] = ItemResult(index, "rejected", error=exc)

        pending: list[PendingPublish] = []
        republished: set[str] = set()
        if candidates:
            async with self._sessions() as session:
                ready, refused = await resolve_recipients(session, candidates, self._box)
                for item, rejection in refused:
                    results[item.index] = ItemResult(item.index, "rejected", error=rejection)
                stored = await store(session, system, ready, now, job_id, self._box)
            pending = [_pending(item, job_id) for item in stored.inserted]
            pending += self._settle(
                ready, stored.inserted, stored.existing, results, republished, now
            )

        failed = await self._publisher.publish(pending)
        if failed or republished:
            await self._publisher.record_outcomes(failed, republished - failed, republished)
            for result in results:
                if result is not None and result.id in failed:
                    result.outcome = "publish_failed"
                    result.error = Rejection(
                        "bus_unavailable",
                        "The notification is stored but could not be queued for delivery; "
                        "retry with the same idempotency key.",
                        status=503,
                    )

        final = [r for r in results if r is not None]
        assert len(final) == len(items)
        for outcome, count in Counter(r.outcome for r in final).items():
            NOTIFICATIONS.labels(endpoint, outcome).inc(count)
        ACCEPT_LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return final

    def _settle(
        self,
        ready: list[Candidate],
        inserted: list[Candidate],
        existing: dict[str, repository.ExistingNotification],
        results: list[ItemResult | None],
        republished: set[str],
        now: datetime,
    ) -> list[PendingPublish]:
        """Answer every stored item: accepted, duplicate, or a key conflict; returns the
        duplicates of rows not claimed yet, to be published again."""
        again: list[PendingPublish] = []
        inserted_ids = {item.id for item in inserted}
        by_key = {item.key: item for item in inserted if item.key}
        for item in ready:
            if item.id in inserted_ids:
                results[item.index] = ItemResult(item.index, "accepted", id=item.id)
                continue
            first = by_key.get(item.key) if item.key else None
            if first is not None:
                results[item.index] = ItemResult(item.index, "duplicate", id=first.id)
                continue
            stored = existing[item.key or ""]
            if (
                stored.account_id != item.account.id
                or stored.event_type != item.reminder.event_type
            ):
                results[item.index] = ItemResult(
                    item.index,
                    "rejected",
                    error=Rejection(
                        "idempotency_conflict",
                        "This idempotency key was already used for another account or "
                        f"event type (notification {stored.id}).",
                        status=409,
                    ),
                )
                continue
            results[item.index] = ItemResult(item.index, "duplicate", id=stored.id)
            # Still ``accepted``: its publish failed, or the gateway that stored it died before
            # publishing (nothing flags that). A second doorbell is harmless — the dispatcher's
            # claim takes a row once — while a missing one would wait for the sweeper; only a
            # row stored (or republished) just now is most likely being published already.
            quiet = now - stored.updated_at >= self._republish_quiet
            if (
                stored.status == "accepted"
                and (stored.reason == PUBLISH_FAILED or quiet)
                and stored.id not in republished
            ):
                republished.add(stored.id)
                again.append(
                    PendingPublish(
                        stored.id, item.account.code, stored.openid, stored.priority, stored.job_id
                    )
                )
        return again

    async def get_status(
        self, system: SystemConfig, notification_id: str
    ) -> NotificationStatus | None:
        """A notification and its history, if ``system`` sent it."""
        async with self._sessions() as session:
            row = await repository.get_for_system(
                session, notification_id=notification_id, system_id=system.id
            )
            if row is None:
                return None
            history = await repository.list_events(session, notification_id=notification_id)
        snapshot = await self._config.get()
        return NotificationStatus(row, snapshot.account_code(row.account_id), history)


def replay_key(signature: str, index: int | None = None) -> str:
    """The implicit idempotency key of a verified request (of its ``index``-th batch item)."""
    return f"signed:{signature}" if index is None else f"signed:{signature}:{index}"


def _pending(item: Candidate, job_id: str | None) -> PendingPublish:
    return PendingPublish(item.id, item.account.code, item.openid, item.priority, job_id)
