"""The publication state machine: every status change happens here, with its audit entry.

Review steps (one request each, in the request's transaction)::

    draft ─submit─▶ submitted ─approve─▶ approved ─▶ scheduled        (quota claimed)
      ▲                  │ reject                        │ cancel     (quota released)
      └──── edit ── rejected ◀┘                          ▼
                                                     cancelled
    rejected ─submit─▶ submitted (resubmitting without an edit is allowed too)
    draft, rejected, cancelled ─delete─▶ (gone)

Sending steps (the scheduler, one short transaction each)::

    scheduled ─claim_for_sending─▶ sending ─(record_progress per batch)─▶ finish ─▶ done
                                     └ take_over: a stale ``sending`` whose sender died

A step the current state does not allow raises :class:`InvalidState` (409), naming the states
it is allowed from; who may take a step is ``guards.py``'s rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Publication, utcnow
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import (
    FieldError,
    FieldErrors,
    InvalidState,
    LimitExceeded,
)
from services.admin_api.publishing import drafts
from services.admin_api.publishing.guards import require_author, require_reviewer, require_state
from services.admin_api.publishing.quota import release_quota, reserve_quota
from services.admin_api.publishing.recipients import audience_count
from services.admin_api.publishing.status import Status
from services.admin_api.scope import Principal, account_in_scope


async def create_draft(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: int,
    kind: str,
    title: str,
    material_id: int | None,
    text: str,
    audience: dict[str, Any],
    scheduled_at: datetime | None,
) -> Publication:
    """A draft for an account the caller's organisation may publish to."""
    await account_in_scope(session, principal, account_id)
    await drafts.check_content(session, principal, material_id)
    saved_id = await drafts.saved_audience_id(session, principal, account_id, audience)
    publication = Publication(
        org_id=principal.org_id,
        account_id=account_id,
        author_id=principal.user_id,
        kind=kind,
        title=title,
        material_id=material_id,
        text=text,
        audience=audience,
        saved_audience_id=saved_id,
        scheduled_at=scheduled_at,
        status=Status.DRAFT,
    )
    session.add(publication)
    await session.flush()
    await record(
        session,
        principal,
        "publication.create",
        "publication",
        publication.id,
        after=snapshot(publication),
    )
    return publication


async def edit(
    session: AsyncSession, principal: Principal, publication: Publication, changes: dict[str, Any]
) -> None:
    """Edit a draft or a rejected publication (which becomes a draft again)."""
    require_state(publication, "edit")
    require_author(principal, publication)
    before = snapshot(publication)
    for key, value in (
        await drafts.checked_changes(session, principal, publication, changes)
    ).items():
        setattr(publication, key, value)
    publication.status = Status.DRAFT
    await session.flush()
    await record(
        session,
        principal,
        "publication.update",
        "publication",
        publication.id,
        before=before,
        after=snapshot(publication),
    )


async def set_recipients(
    session: AsyncSession,
    principal: Principal,
    publication: Publication,
    *,
    read: Callable[[int], Awaitable[bytes]],
    max_bytes: int,
) -> None:
    """Replace a list publication's recipients with the openids of a file (read with ``read``,
    refused beyond ``max_bytes``); the publication becomes a draft again."""
    require_state(publication, "edit")
    require_author(principal, publication)
    if publication.kind != "list":
        raise InvalidState("recipient files are for 'list' publications")
    raw = await read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise LimitExceeded("recipient file too large", limit="max_csv_bytes")
    openids = drafts.parse_recipient_file(raw)
    before = snapshot(publication)
    publication.audience = {"openids": openids}
    publication.status = Status.DRAFT
    await session.flush()
    await record(
        session,
        principal,
        "publication.recipients",
        "publication",
        publication.id,
        before=before,
        after={"recipients": len(openids)},
    )


async def submit(session: AsyncSession, principal: Principal, publication: Publication) -> None:
    """Send a draft for review; the audience is counted now."""
    require_state(publication, "submit")
    require_author(principal, publication)
    count = await audience_count(session, publication)
    if count == 0:
        raise InvalidState("the audience is empty")
    publication.recipient_count = count
    publication.status = Status.SUBMITTED
    publication.submitted_at = utcnow()
    publication.review_comment = ""
    await session.flush()
    await record(
        session,
        principal,
        "publication.submit",
        "publication",
        publication.id,
        after={"recipient_count": count},
    )


async def approve(
    session: AsyncSession,
    principal: Principal,
    publication: Publication,
    *,
    comment: str,
    quota_limit: int,
) -> None:
    """Approve and schedule (now, or at ``scheduled_at``); a mass send claims its monthly quota
    and is refused (:class:`QuotaExceeded`) beyond ``quota_limit``."""
    require_state(publication, "approve")
    await require_reviewer(session, principal, publication)
    await reserve_quota(session, publication, quota_limit)
    publication.reviewer_id = principal.user_id
    publication.reviewed_at = utcnow()
    publication.review_comment = comment
    publication.status = Status.APPROVED
    await record(
        session,
        principal,
        "publication.approve",
        "publication",
        publication.id,
        after={"comment": comment},
    )
    publication.status = Status.SCHEDULED
    await session.flush()
    when = publication.scheduled_at.isoformat() if publication.scheduled_at else "now"
    await record(
        session,
        principal,
        "publication.schedule",
        "publication",
        publication.id,
        after={"scheduled_at": when},
    )


async def reject(
    session: AsyncSession, principal: Principal, publication: Publication, *, comment: str
) -> None:
    """Reject with a comment; the author may edit and resubmit."""
    require_state(publication, "reject")
    await require_reviewer(session, principal, publication)
    if not comment.strip():
        raise FieldErrors(
            "a rejection needs a comment",
            [FieldError("body.comment", "required when rejecting", "missing")],
        )
    publication.reviewer_id = principal.user_id
    publication.reviewed_at = utcnow()
    publication.review_comment = comment
    publication.status = Status.REJECTED
    await session.flush()
    await record(
        session,
        principal,
        "publication.reject",
        "publication",
        publication.id,
        after={"comment": comment},
    )


async def cancel(session: AsyncSession, principal: Principal, publication: Publication) -> None:
    """Cancel a scheduled send before it starts; its quota claim is released."""
    require_state(publication, "cancel")
    require_author(principal, publication)
    await release_quota(session, publication)
    publication.status = Status.CANCELLED
    await session.flush()
    await record(session, principal, "publication.cancel", "publication", publication.id)


async def delete(session: AsyncSession, principal: Principal, publication: Publication) -> None:
    """Delete a draft, rejected or cancelled publication (sent ones stay for the record)."""
    require_state(publication, "delete")
    require_author(principal, publication)
    before = snapshot(publication)
    await session.delete(publication)
    await session.flush()
    await record(
        session, principal, "publication.delete", "publication", publication.id, before=before
    )


async def claim_for_sending(session: AsyncSession, publication_id: int) -> bool:
    """``scheduled`` → ``sending``; False when another replica claimed it first."""
    claimed = await session.execute(
        update(Publication)
        .where(Publication.id == publication_id, Publication.status == Status.SCHEDULED)
        .values(status=Status.SENDING, started_at=utcnow(), updated_at=utcnow())
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def take_over(session: AsyncSession, publication_id: int, *, stale_before: datetime) -> bool:
    """Renew the claim on a ``sending`` publication untouched since ``stale_before`` (its
    sender died); False when it is not stale (or not sending)."""
    claimed = await session.execute(
        update(Publication)
        .where(
            Publication.id == publication_id,
            Publication.status == Status.SENDING,
            Publication.updated_at <= stale_before,
        )
        .values(updated_at=utcnow())
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def record_progress(session: AsyncSession, publication_id: int, queued: int) -> None:
    """Count ``queued`` more messages; touching the row renews the sender's claim, so no other
    replica takes it over."""
    await session.execute(
        update(Publication)
        .where(Publication.id == publication_id)
        .values(sent_count=Publication.sent_count + queued, updated_at=utcnow())
    )


async def finish(session: AsyncSession, publication_id: int) -> None:
    """``sending`` → ``done`` once every recipient is queued."""
    await session.execute(
        update(Publication)
        .where(Publication.id == publication_id, Publication.status == Status.SENDING)
        .values(status=Status.DONE, finished_at=utcnow(), updated_at=utcnow())
    )
