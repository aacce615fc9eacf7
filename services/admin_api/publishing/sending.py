"""Handing a due publication to the dispatcher: claim it, record its recipients, queue them in
committed batches on the bus, mark it done; or take over a send whose process died half-way."""

from __future__ import annotations

from datetime import timedelta

from libs.common.bus import OUTBOUND
from libs.common.db.models import Account, Material, Publication, PublicationRecipient, utcnow
from libs.common.observability.logging import get_logger
from libs.common.schemas.outbound import OutboundRequested
from services.admin_api.publishing import repository, workflow
from services.admin_api.publishing.content import custom_message, track_links, upload_media
from services.admin_api.publishing.recipients import audience_openids
from services.admin_api.publishing.status import RecipientStatus
from services.admin_api.state import AdminState

log = get_logger(__name__)


async def dispatch(state: AdminState, publication_id: int) -> int:
    """Claim a due publication (one replica wins), record its recipients, then queue them;
    returns how many messages were queued."""
    async with state.sessions.begin() as session:
        if not await workflow.claim_for_sending(session, publication_id):
            return 0
        # Recipients are committed together with the claim, as "pending": whoever resumes a
        # send knows exactly who is still owed a message.
        publication = await session.get(Publication, publication_id)
        assert publication is not None
        openids = await audience_openids(session, publication)
        session.add_all(
            PublicationRecipient(
                publication_id=publication_id, openid=o, status=RecipientStatus.PENDING
            )
            for o in dict.fromkeys(openids)
        )
    return await send_pending(state, publication_id)


async def resume(state: AdminState, publication_id: int) -> int:
    """Take over a publication stuck in ``sending`` (its sender died) and queue only the
    recipients still ``pending``; returns how many messages were queued (0 if not stale)."""
    cutoff = utcnow() - timedelta(seconds=state.settings.sending_stale_s)
    async with state.sessions.begin() as session:
        if not await workflow.take_over(session, publication_id, stale_before=cutoff):
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
    if account.track_clicks:
        body = await track_links(state, account, publication_id, body)
    queued = 0
    chunk = max(1, state.settings.dispatch_chunk_size)
    while True:
        async with state.sessions.begin() as session:
            batch = await repository.list_pending_recipients(
                session, publication_id=publication_id, limit=chunk
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
                    _mark_queued(recipient, message.message_id)
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
                _mark_queued(recipient, message.message_id)
            queued += len(batch)
            await workflow.record_progress(session, publication_id, len(batch))
    async with state.sessions.begin() as session:
        await workflow.finish(session, publication_id)
    return queued


def _mark_queued(recipient: PublicationRecipient, message_id: str) -> None:
    recipient.message_id = message_id
    recipient.status = RecipientStatus.QUEUED
    recipient.sent_at = utcnow()
