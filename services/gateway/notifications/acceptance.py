"""Accepting notifications: validate, resolve the recipient, store, publish — then answer.

One path serves the single endpoint, the batch endpoint and CSV jobs (a batch of one is a single
request). For every call:

1. validate each item and apply the reminder type's defaults (static config comes from the
   in-memory :class:`ConfigCache`, never from the database);
2. resolve ``customer_no`` → openid and phone with one query per account, only when needed;
3. insert every row and its ``accepted`` history event in one transaction and commit. The
   insert is optimistic: an idempotency key already stored makes it fail on the unique
   constraint, which is also what settles two concurrent requests racing with the same key;
   the stored rows are then read and the rest is inserted again;
4. publish one :class:`OutboundRequested` per new row on ``wx.outbound`` (concurrently, so the
   broker's confirms pipeline) and wait for the confirms.

A row is answered ``accepted`` only after both the commit and the confirm. When the publish
fails the row stays ``accepted`` with ``reason = publish_failed`` and a history event, and the
caller gets a 503 carrying the id: retrying with the same idempotency key republishes exactly
those rows. The message id on the bus is the notification id, so the dispatcher can recognise
a message it has already handled.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import OUTBOUND, Bus
from libs.common.db.models import Notification, NotificationEvent, utcnow
from libs.common.observability.logging import get_logger
from libs.common.schemas.outbound import OutboundRequested
from services.gateway.notifications import repository
from services.gateway.notifications.config import (
    AccountConfig,
    ConfigCache,
    ConfigSnapshot,
    ReminderConfig,
    SystemConfig,
)
from services.gateway.notifications.metrics import ACCEPT_LATENCY, NOTIFICATIONS
from services.gateway.notifications.repository import PUBLISH_FAILED, ExistingNotification
from services.gateway.notifications.schemas import NotificationCreate

log = get_logger(__name__)

Outcome = Literal["accepted", "duplicate", "rejected", "publish_failed"]
_INSERT_ATTEMPTS = 3


def new_notification_id() -> str:
    """32 hex characters: milliseconds since the epoch, then randomness (index-friendly order)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``{"loc", "message", "type"}`` dicts safe to put in JSON."""
    return [
        {"loc": list(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False)
    ]


class Rejection(Exception):
    """An item the API refuses, with a stable ``code`` and an HTTP status (422 by default)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 422,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: ``code``, ``message`` and field ``errors`` when there are any."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass(slots=True)
class ItemResult:
    """The fate of one item: its id unless rejected, and the error unless accepted."""

    index: int
    outcome: Outcome
    id: str | None = None
    error: Rejection | None = None


@dataclass(slots=True, eq=False)
class _Item:
    """An item that passed validation, with defaults applied and recipient being resolved."""

    index: int
    request: NotificationCreate
    account: AccountConfig
    reminder: ReminderConfig
    priority: str
    fallback: str
    fallback_explicit: bool
    openid: str | None
    customer_no: str | None
    phone: str | None
    deadline_at: datetime
    notes: list[str] = field(default_factory=list)
    id: str = ""

    @property
    def key(self) -> str | None:
        return self.request.idempotency_key


@dataclass(frozen=True, slots=True)
class Publication:
    id: str
    account: str
    openid: str | None
    priority: str
    deadline_at: datetime
    job_id: str | None


@dataclass(slots=True)
class _Group:
    """Single requests of one system waiting for a transaction, and the workers serving them."""

    pending: list[tuple[NotificationCreate, asyncio.Future[ItemResult]]] = field(
        default_factory=list
    )
    workers: int = 0


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
        bus: Bus,
        config: ConfigCache,
        *,
        publish_concurrency: int = 256,
        accept_workers: int = 4,
        group_max: int = 200,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._config = config
        self._publish_slots = asyncio.Semaphore(publish_concurrency)
        self._now = now
        self._accept_workers = accept_workers
        self._group_max = group_max
        self._groups: dict[int, _Group] = {}
        self._workers: set[asyncio.Task[None]] = set()

    async def accept_one(self, system: SystemConfig, request: NotificationCreate) -> ItemResult:
        """Accept one validated request, sharing a transaction with concurrent ones (group commit).

        Requests of a system that arrive while ``accept_workers`` transactions of that system
        are in flight wait for the next one, which takes all of them (up to ``group_max``): at
        low load each request commits alone, under load the cost of a commit and of the
        session machinery is shared. Each request still gets its own result, only after the
        commit and its own publish confirm.
        """
        future: asyncio.Future[ItemResult] = asyncio.get_running_loop().create_future()
        group = self._groups.get(system.id)
        if group is None:
            group = self._groups[system.id] = _Group()
        group.pending.append((request, future))
        if group.workers < self._accept_workers:
            group.workers += 1
            task = asyncio.create_task(self._drain(system, group))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        return await future

    async def _drain(self, system: SystemConfig, group: _Group) -> None:
        try:
            while group.pending:
                taken = group.pending[: self._group_max]
                del group.pending[: self._group_max]
                try:
                    results = await self.accept_many(
                        system, [request for request, _ in taken], endpoint="single"
                    )
                except Exception as exc:
                    for _, future in taken:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:
                    for _, future in taken:
                        future.cancel()
                    raise
                for (_, future), result in zip(taken, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            group.workers -= 1

    async def accept_many(
        self,
        system: SystemConfig,
        items: Sequence[NotificationCreate | Any],
        *,
        job_id: str | None = None,
        endpoint: str = "batch",
    ) -> list[ItemResult]:
        """Accept every valid item in one transaction; one result per item, in order."""
        started = time.perf_counter()
        now = self._now()
        snapshot = await self._config.get()
        results: list[ItemResult | None] = [None] * len(items)
        candidates: list[_Item] = []
        for index, raw in enumerate(items):
            try:
                request = (
                    raw
                    if isinstance(raw, NotificationCreate)
                    else NotificationCreate.model_validate(raw)
                )
                candidates.append(_prepare(index, request, snapshot, now))
            except ValidationError as exc:
                error = Rejection(
                    "invalid_request", "The item is invalid.", errors=field_errors(exc)
                )
                results[index] = ItemResult(index, "rejected", error=error)
            except Rejection as exc:
                results[index] = ItemResult(index, "rejected", error=exc)

        publications: list[Publication] = []
        republished: set[str] = set()
        if candidates:
            async with self._sessions() as session:
                ready = await self._resolve_recipients(session, candidates, results)
                inserted, existing = await self._insert(session, system, ready, now, job_id)
            publications = [_publication(item, job_id) for item in inserted]
            inserted_ids = {item.id for item in inserted}
            by_key = {item.key: item for item in inserted if item.key}
            for item in ready:
                if results[item.index] is not None:
                    continue
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
                if (
                    stored.status == "accepted"
                    and stored.reason == PUBLISH_FAILED
                    and stored.id not in republished
                ):
                    republished.add(stored.id)
                    publications.append(_stored_publication(stored, item.account.code))

        failed = await self.publish(publications)
        if failed or republished:
            await self.record_publish_outcomes(failed, republished - failed, republished)
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

    async def _resolve_recipients(
        self,
        session: AsyncSession,
        candidates: list[_Item],
        results: list[ItemResult | None],
    ) -> list[_Item]:
        """Fill openid/phone from the customer table where needed; apply the channel rules."""
        wanted: dict[int, tuple[set[str], set[str]]] = {}
        for item in candidates:
            nos, openids = wanted.setdefault(item.account.id, (set(), set()))
            if item.customer_no and not (item.openid and item.phone):
                nos.add(item.customer_no)
            elif item.openid and not item.phone and item.fallback == "sms":
                openids.add(item.openid)
        by_no: dict[tuple[int, str], repository.CustomerContact] = {}
        by_openid: dict[tuple[int, str], repository.CustomerContact] = {}
        for account_id, (nos, openids) in wanted.items():
            if not (nos or openids):
                continue
            contacts = await repository.list_customers(
                session, account_id=account_id, customer_nos=nos, openids=openids
            )
            for found in contacts:
                if found.customer_no:
                    by_no.setdefault((account_id, found.customer_no), found)
                by_openid[account_id, found.openid] = found
        ready: list[_Item] = []
        for item in candidates:
            contact: repository.CustomerContact | None = None
            if item.customer_no:
                contact = by_no.get((item.account.id, item.customer_no))
            if contact is None and item.openid:
                contact = by_openid.get((item.account.id, item.openid))
            if contact is not None:
                item.openid = item.openid or contact.openid
                item.phone = item.phone or contact.phone
            try:
                if item.customer_no and contact is None and not (item.openid or item.phone):
                    raise Rejection(
                        "unknown_customer",
                        f"No customer {item.customer_no!r} on account {item.account.code!r}.",
                        errors=[_loc_error(["to", "customer_no"], "unknown customer number")],
                    )
                _apply_channel_rules(item)
            except Rejection as exc:
                results[item.index] = ItemResult(item.index, "rejected", error=exc)
            else:
                ready.append(item)
        return ready

    async def _insert(
        self,
        session: AsyncSession,
        system: SystemConfig,
        ready: list[_Item],
        now: datetime,
        job_id: str | None,
    ) -> tuple[list[_Item], dict[str, ExistingNotification]]:
        """Store the rows not stored yet; returns them and the rows found under their keys."""
        firsts: dict[str, _Item] = {}
        fresh: list[_Item] = []
        for item in ready:
            if item.key is None:
                fresh.append(item)
            elif item.key not in firsts:
                firsts[item.key] = item
                fresh.append(item)
        existing: dict[str, ExistingNotification] = {}
        for _ in range(_INSERT_ATTEMPTS):
            pending = [item for item in fresh if item.key is None or item.key not in existing]
            for item in pending:
                item.id = item.id or new_notification_id()
            try:
                await repository.create_many(
                    session,
                    notifications=[_row(item, system, now, job_id) for item in pending],
                    events=[_event(item, system, now) for item in pending],
                )
                await session.commit()
            except IntegrityError:
                await session.rollback()
                keys = [item.key for item in pending if item.key]
                found = await repository.list_by_idempotency_keys(
                    session, system_id=system.id, keys=keys
                )
                await session.rollback()
                if not found:
                    raise
                existing.update({row.idempotency_key: row for row in found})
            else:
                return pending, existing
        raise RuntimeError("idempotency keys kept conflicting; giving up")

    async def publish(self, publications: list[Publication]) -> set[str]:
        """Publish every message concurrently; returns the ids whose confirm did not come."""

        async def publish(pub: Publication) -> str | None:
            message = OutboundRequested(
                message_id=pub.id,
                correlation_id=pub.job_id,
                account=pub.account,
                openid=pub.openid,
                priority="bulk" if pub.priority == "bulk" else "alert",
                origin="notification",
                notification_id=pub.id,
                deadline_at=pub.deadline_at,
            )
            # Phone-only messages skip WeChat; the dispatcher reads the channel from the row too.
            routing_key = f"{pub.priority}.{'wechat' if pub.openid else 'sms'}"
            async with self._publish_slots:
                try:
                    await self._bus.publish(
                        OUTBOUND, routing_key, message.to_bytes(), message_id=pub.id
                    )
                except Exception:
                    log.warning("notification_publish_failed", id=pub.id, exc_info=True)
                    return pub.id
            return None

        if not publications:
            return set()
        outcomes = await asyncio.gather(*(publish(pub) for pub in publications))
        return {failed for failed in outcomes if failed is not None}

    async def record_publish_outcomes(
        self, failed: set[str], cleared: set[str], republished: set[str]
    ) -> None:
        """Flag rows whose publish failed (unless already flagged); unflag republished ones."""
        newly_failed = failed - republished
        try:
            async with self._sessions.begin() as session:
                now = self._now()
                await repository.mark_publish_failed(
                    session, ids=newly_failed, detail="publish to the bus failed", now=now
                )
                await repository.clear_publish_failed(session, ids=cleared, now=now)
        except Exception:
            # Without the flag the row still answers idempotent retries with its id; only the
            # automatic republish on retry is lost, so this must not turn a 503 into a 500.
            log.exception("notification_publish_flag_failed", ids=sorted(newly_failed))

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


def _loc_error(loc: list[str | int], message: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": loc, "message": message, "type": kind}


def _prepare(
    index: int, request: NotificationCreate, snapshot: ConfigSnapshot, now: datetime
) -> _Item:
    """Look up account and reminder type, apply their defaults; raises :class:`Rejection`."""
    account = snapshot.accounts.get(request.account)
    if account is None:
        raise Rejection(
            "unknown_account",
            f"No enabled account {request.account!r}.",
            errors=[_loc_error(["account"], "unknown account")],
        )
    reminder = snapshot.reminders.get((account.id, request.event_type))
    if reminder is None:
        raise Rejection(
            "unknown_event_type",
            f"No reminder type {request.event_type!r} on account {account.code!r}.",
            errors=[_loc_error(["event_type"], "unknown event type")],
        )
    if request.fallback == "sms" and not reminder.fallback_allowed:
        raise Rejection(
            "fallback_not_allowed",
            f"Reminder type {reminder.event_type!r} may not fall back to SMS.",
            errors=[_loc_error(["fallback"], "SMS fallback not allowed for this event type")],
        )
    if request.fallback is not None:
        fallback = request.fallback
    elif reminder.fallback_allowed and reminder.default_fallback == "sms":
        fallback = "sms"
    else:
        fallback = "none"
    default_priority = reminder.default_priority if reminder.default_priority == "bulk" else "alert"
    return _Item(
        index=index,
        request=request,
        account=account,
        reminder=reminder,
        priority=request.priority or default_priority,
        fallback=fallback,
        fallback_explicit=request.fallback is not None,
        openid=request.to.openid,
        customer_no=request.to.customer_no,
        phone=request.to.phone,
        deadline_at=now + timedelta(seconds=request.deadline_s),
    )


def _apply_channel_rules(item: _Item) -> None:
    """Make sure some channel can carry the message and the data fills its texts."""
    if item.fallback == "sms" and not item.phone:
        if item.fallback_explicit:
            raise Rejection(
                "no_fallback_phone",
                "fallback 'sms' needs a phone: give to.phone, or a customer with a phone on file.",
                errors=[_loc_error(["to", "phone"], "no phone to fall back to")],
            )
        item.fallback = "none"
        item.notes.append("no phone known: SMS fallback off")
    if not item.openid and item.fallback != "sms":
        raise Rejection(
            "no_channel",
            "No openid to send by WeChat and no SMS fallback: nothing could deliver this.",
            errors=[_loc_error(["to"], "give openid, a bound customer_no, or a phone with SMS")],
        )
    required = set(item.reminder.wechat_fields) if item.openid else set()
    if item.fallback == "sms":
        required |= item.reminder.sms_fields
    missing = sorted(required - item.request.data.keys())
    if missing:
        raise Rejection(
            "missing_data_fields",
            f"data lacks fields the {item.reminder.event_type!r} texts use: {', '.join(missing)}.",
            errors=[_loc_error(["data", name], "field required", "missing") for name in missing],
        )


def _row(item: _Item, system: SystemConfig, now: datetime, job_id: str | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "account_id": item.account.id,
        "system_id": system.id,
        "event_type": item.reminder.event_type,
        "priority": item.priority,
        "openid": item.openid,
        "customer_no": item.customer_no,
        "phone": item.phone,
        "data": item.request.data,
        "idempotency_key": item.key,
        "fallback": item.fallback,
        "deadline_at": item.deadline_at,
        "status": "accepted",
        "channel": None,
        "reason": None,
        "attempts": 0,
        "wechat_msgid": None,
        "job_id": job_id,
        "finished_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _event(item: _Item, system: SystemConfig, now: datetime) -> dict[str, Any]:
    detail = f"accepted from {system.code}: priority {item.priority}, fallback {item.fallback}"
    if item.notes:
        detail += "; " + "; ".join(item.notes)
    return {
        "notification_id": item.id,
        "at": now,
        "status": "accepted",
        "channel": None,
        "detail": detail,
        "errcode": None,
    }


def _publication(item: _Item, job_id: str | None) -> Publication:
    return Publication(
        id=item.id,
        account=item.account.code,
        openid=item.openid,
        priority=item.priority,
        deadline_at=item.deadline_at,
        job_id=job_id,
    )


def _stored_publication(stored: ExistingNotification, account_code: str) -> Publication:
    return Publication(
        id=stored.id,
        account=account_code,
        openid=stored.openid,
        priority=stored.priority,
        deadline_at=stored.deadline_at,
        job_id=stored.job_id,
    )
