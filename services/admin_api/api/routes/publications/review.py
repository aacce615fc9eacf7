"""Review: submit a draft, approve (and schedule) or reject it, cancel a scheduled send."""

from __future__ import annotations

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.publications.access import (
    ScopedPublication,
    publications_router,
)
from services.admin_api.api.schemas.publications import PublicationRead, ReviewBody
from services.admin_api.publishing import workflow

router = publications_router()


@router.post(
    "/{publication_id}/submit",
    response_model=PublicationRead,
    dependencies=[Perm("content.submit")],
    summary="提交审核 · submit for review",
)
async def submit(
    publication: ScopedPublication, principal: CurrentUser, session: SessionDep
) -> PublicationRead:
    """Send a draft for review; the audience is counted now."""
    await workflow.submit(session, principal, publication)
    return PublicationRead.model_validate(publication)


@router.post(
    "/{publication_id}/approve",
    response_model=PublicationRead,
    dependencies=[Perm("content.approve")],
    summary="审核通过 · approve",
)
async def approve(
    publication: ScopedPublication,
    body: ReviewBody,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> PublicationRead:
    """Approve and schedule (now, or at ``scheduled_at``); a mass send claims its monthly quota
    and is refused (409 quota_exceeded) beyond it."""
    await workflow.approve(
        session,
        principal,
        publication,
        comment=body.comment,
        quota_limit=state.settings.mass_quota_per_month,
    )
    return PublicationRead.model_validate(publication)


@router.post(
    "/{publication_id}/reject",
    response_model=PublicationRead,
    dependencies=[Perm("content.approve")],
    summary="驳回 · reject",
)
async def reject(
    publication: ScopedPublication, body: ReviewBody, principal: CurrentUser, session: SessionDep
) -> PublicationRead:
    """Reject with a comment; the author may edit and resubmit."""
    await workflow.reject(session, principal, publication, comment=body.comment)
    return PublicationRead.model_validate(publication)


@router.post(
    "/{publication_id}/cancel",
    response_model=PublicationRead,
    dependencies=[Perm("content.submit")],
    summary="取消发送 · cancel",
)
async def cancel(
    publication: ScopedPublication, principal: CurrentUser, session: SessionDep
) -> PublicationRead:
    """Cancel a scheduled send before it starts; its quota claim is released."""
    await workflow.cancel(session, principal, publication)
    return PublicationRead.model_validate(publication)
