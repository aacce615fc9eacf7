"""Publications and mass sends (R-AD-6/7): the review state machine, the monthly mass-send quota
ledger, and the scheduler that hands due sends to the dispatcher through the bus and resumes
sends whose process died half-way (recipients are recorded first, then queued in batches).

States: draft → submitted → approved | rejected (with comment) → scheduled → sending → done;
rejected goes back to draft by editing; scheduled may be cancelled (its quota is released).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.bus import OUTBOUND
from libs.common.db.models import (
    Account,
    Customer,
    MassQuotaEntry,
    Material,
    Publication,
    PublicationRecipient,
    utcnow,
)
from libs.common.db.models.admin import SavedAudience
from libs.common.observability.logging import get_logger
from libs.common.schemas.outbound import OutboundRequested
from libs.common.wechat.api.media import MediaApi
from services.admin_api.audience import CustomerFilter, customer_query
from services.admin_api.errors import InvalidState, QuotaExceeded
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for

log = get_logger(__name__)

TRANSITIONS: dict[str, set[str]] = {
    "submit": {"draft", "rejected"},
    "approve": {"submitted"},
    "reject": {"submitted"},
    "cancel": {"scheduled", "approved"},
    "edit": {"draft", "rejected"},
    "delete": {"draft", "rejected", "cancelled"},
}


def require_state(publication: Publication, action: str) -> None:
    """Raise :class:`InvalidState` unless ``action`` is allowed in the current state."""
    if publication.status not in TRANSITIONS[action]:
        allowed = ", ".join(sorted(TRANSITIONS[action]))
        raise InvalidState(
            f"cannot {action} a {publication.status} publication (allowed from: {allowed})",
            status=publication.status,
        )


def period_of(when: datetime) -> str:
    """The quota period (calendar month, UTC) a send falls in."""
    return f"{when:%Y-%m}"


async def quota_used(session: AsyncSession, account_id: int, period: str) -> int:
    """Mass sends already claimed for the account in the period."""
    used = await session.scalar(
        select(func.coalesce(func.sum(MassQuotaEntry.amount), 0)).where(
            MassQuotaEntry.account_id == account_id, MassQuotaEntry.period == period
        )
    )
    return int(used or 0)


async def reserve_quota(
    session: AsyncSession, publication: Publication, limit: int
) -> MassQuotaEntry | None:
    """Claim one mass send of the month; refuse beyond ``limit`` (only ``mass`` kinds count)."""
    if publication.kind != "mass":
        return None
    period = period_of(publication.scheduled_at or utcnow())
    used = await quota_used(session, publication.account_id, period)
    if used + 1 > limit:
        raise QuotaExceeded(
            f"mass-send quota for {period} is used up ({used}/{limit})",
            period=period,
            used=used,
            limit=limit,
        )
    entry = MassQuotaEntry(
        account_id=publication.account_id, period=period, publication_id=publication.id
    )
    session.add(entry)
    await session.flush()
    return entry


async def release_quota(session: AsyncSession, publication: Publication) -> None:
    """Give back a cancelled send's claim."""
    entry = await session.scalar(
        select(MassQuotaEntry).where(MassQuotaEntry.publication_id == publication.id)
    )
    if entry is not None:
        await session.delete(entry)
        await session.flush()


async def audience_openids(session: AsyncSession, publication: Publication) -> list[str]:
    """The openids a publication goes to (followers only for groups and mass sends); a saved
    audience is resolved now, with its current criteria and the current customers."""
    audience = publication.audience or {}
    if publication.kind == "single":
        return [str(audience["openid"])]
    if publication.kind == "list":
        return [str(o) for o in audience.get("openids", [])]
    if audience.get("audience_id") is not None:
        saved = (
            await session.get(SavedAudience, publication.saved_audience_id)
            if publication.saved_audience_id is not None
            else None
        )
        if saved is None:  # deleted since: nobody is targeted rather than everybody
            return []
        base = CustomerFilter.from_criteria(publication.account_id, saved.criteria)
        flt = dataclasses.replace(base, subscribed=True)
    elif publication.kind == "group":
        flt = CustomerFilter(
            account_id=publication.account_id, tag=audience.get("tag"), subscribed=True
        )
    else:
        flt = CustomerFilter(
            account_id=publication.account_id,
            category=audience.get("category"),
            region=audience.get("region"),
            occupation=audience.get("occupation"),
            tag=audience.get("tag"),
            subscribed=True,
        )
    stmt = customer_query(flt).with_only_columns(Customer.openid).order_by(Customer.id)
    return list(await session.scalars(stmt))


async def audience_count(session: AsyncSession, publication: Publication) -> int:
    """How many distinct recipients the publication would reach now."""
    return len(set(await audience_openids(session, publication)))


def custom_message(
    publication: Publication, material: Material | None, media_id: str | None = None
) -> dict[str, Any]:
    """The customer-service message body (without ``touser``) that carries the content."""
    if material is None:
        return {"msgtype": "text", "text": {"content": publication.text}}
    if material.kind == "text":
        return {"msgtype": "text", "text": {"content": material.text}}
    if material.kind == "news":
        articles = [
            {
                "title": a.get("title", ""),
                "description": a.get("digest", ""),
                "url": a.get("content_source_url", ""),
                "picurl": "",
            }
            for a in material.articles[:1]
        ]
        return {"msgtype": "news", "news": {"articles": articles}}
    # Image/voice: uploaded to WeChat as temporary media just before sending (valid 3 days).
    return {"msgtype": material.kind, material.kind: {"media_id": media_id}}


async def upload_media(state: AdminState, account: Account, material: Material) -> str:
    """Upload an image/voice material's file as temporary media; returns the media_id."""
    path = state.storage_dir / str(material.storage_key)
    content = await asyncio.to_thread(path.read_bytes)
    answer = await MediaApi(client_for(state, account)).upload(
        material.kind, material.filename or path.name, content
    )
    return str(answer["media_id"])


async def dispatch(state: AdminState, publication_id: int) -> int:
    """Claim a due publication (one replica wins), record its recipients, then queue them;
    returns how many messages were queued."""
    async with state.sessions.begin() as session:
        claimed = await session.execute(
            update(Publication)
            .where(Publication.id == publication_id, Publication.status == "scheduled")
            .values(status="sending", started_at=utcnow(), updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return 0
        # Recipients are committed together with the claim, as "pending": whoever resumes a
        # send knows exactly who is still owed a message.
        publication = await session.get(Publication, publication_id)
        assert publication is not None
        openids = await audience_openids(session, publication)
        session.add_all(
            PublicationRecipient(publication_id=publication_id, openid=o, status="pending")
            for o in dict.fromkeys(openids)
        )
    return await send_pending(state, publication_id)


async def resume(state: AdminState, publication_id: int) -> int:
    """Take over a publication stuck in ``sending`` (its sender died) and queue only the
    recipients still ``pending``; returns how many messages were queued (0 if not stale)."""
    cutoff = utcnow() - timedelta(seconds=state.settings.sending_stale_s)
    async with state.sessions.begin() as session:
        claimed = await session.execute(
            update(Publication)
            .where(
                Publication.id == publication_id,
                Publication.status == "sending",
                Publication.updated_at <= cutoff,
            )
            .values(updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return 0
    log.warning("publication_resumed", publication_id=publication_id)
    return await send_pending(state, publication_id)


async def send_pending(state: AdminState, publication_id: int) -> int:
    """Queue the pending recipients in committed batches, then mark the publication done.

    A batch is published before its rows say ``queued``, so a crash in between re-sends at most
    one batch on resume (at-least-once); the message ids are stable (``pub<p>r<r>``), which is
    what the dispatcher's notification rows are keyed by.
    """
    async with state.sessions() as session:
        publication = await session.get(Publication, publication_id)
        assert publication is not None
        account = await session.get(Account, publication.account_id)
        assert account is not None
        material = (
            await session.get(Material, publication.material_id)
            if publication.material_id
            else None
        )
    media_id = None
    if material is not None and material.kind in {"image", "voice"}:
        media_id = await upload_media(state, account, material)
    body = custom_message(publication, material, media_id)
    queued = 0
    chunk = max(1, state.settings.dispatch_chunk_size)
    while True:
        async with state.sessions.begin() as session:
            batch = list(
                await session.scalars(
                    select(PublicationRecipient)
                    .where(
                        PublicationRecipient.publication_id == publication_id,
                        PublicationRecipient.status == "pending",
                    )
                    .order_by(PublicationRecipient.id)
                    .limit(chunk)
                )
            )
            if not batch:
                break
            if publication.kind == "mass" and len(batch) >= 2:
                # 群发 goes through WeChat's mass API by OpenID list (not bound to the 48-hour
                # customer-service window); the chunk's message id doubles as its clientmsgid.
                message = OutboundRequested(
                    message_id=f"pub{publication_id}m{batch[0].id}",
                    correlation_id=f"publication:{publication_id}",
                    account=account.code,
                    priority="bulk",
                    origin="publication",
                    custom_message=body,
                    mass_openids=[r.openid for r in batch],
                )
                await state.bus.publish(
                    OUTBOUND, "bulk.wechat", message.to_bytes(), message_id=message.message_id
                )
                for recipient in batch:
                    recipient.message_id = message.message_id
                    recipient.status = "queued"
                    recipient.sent_at = utcnow()
            singles = [] if publication.kind == "mass" and len(batch) >= 2 else batch
            for recipient in singles:
                message = OutboundRequested(
                    message_id=f"pub{publication_id}r{recipient.id}",
                    correlation_id=f"publication:{publication_id}",
                    account=account.code,
                    openid=recipient.openid,
                    priority="bulk",
                    origin="publication",
                    custom_message=body,
                )
                await state.bus.publish(
                    OUTBOUND, "bulk.wechat", message.to_bytes(), message_id=message.message_id
                )
                recipient.message_id = message.message_id
                recipient.status = "queued"
                recipient.sent_at = utcnow()
            queued += len(batch)
            # Touching the publication renews its claim, so no other replica takes it over.
            await session.execute(
                update(Publication)
                .where(Publication.id == publication_id)
                .values(sent_count=Publication.sent_count + len(batch), updated_at=utcnow())
            )
    async with state.sessions.begin() as session:
        await session.execute(
            update(Publication)
            .where(Publication.id == publication_id, Publication.status == "sending")
            .values(status="done", finished_at=utcnow(), updated_at=utcnow())
        )
    return queued


async def due_ids(state: AdminState) -> Sequence[int]:
    """Scheduled publications whose time has come."""
    async with state.sessions() as session:
        now = utcnow()
        rows = await session.scalars(
            select(Publication.id).where(
                Publication.status == "scheduled",
                (Publication.scheduled_at.is_(None)) | (Publication.scheduled_at <= now),
            )
        )
        return list(rows)


async def stale_ids(state: AdminState) -> Sequence[int]:
    """Publications left in ``sending`` longer than ``sending_stale_s`` (their sender died)."""
    cutoff = utcnow() - timedelta(seconds=state.settings.sending_stale_s)
    async with state.sessions() as session:
        rows = await session.scalars(
            select(Publication.id).where(
                Publication.status == "sending", Publication.updated_at <= cutoff
            )
        )
        return list(rows)


async def run_due(state: AdminState) -> int:
    """Resume stuck sends, then dispatch every due publication once; returns messages queued."""
    total = 0
    for publication_id in await stale_ids(state):
        try:
            total += await resume(state, publication_id)
        except Exception:
            log.exception("publication_resume_failed", publication_id=publication_id)
    for publication_id in await due_ids(state):
        try:
            total += await dispatch(state, publication_id)
        except Exception:
            log.exception("publication_dispatch_failed", publication_id=publication_id)
    return total


async def run_scheduler(state: AdminState, stop: asyncio.Event | None = None) -> None:
    """Every ``scheduler_interval_s``, send what is due (until ``stop`` is set or cancelled)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        await run_due(state)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=state.settings.scheduler_interval_s)
