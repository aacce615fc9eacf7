"""Publishing (消息发布) and mass sends (消息群发) with review (R-AD-6, R-AD-7).

The HTTP edge only: every step is a call into :mod:`services.admin_api.publishing.workflow`,
which owns the states, the quota and the audit entries.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile

from libs.common.db.models import Publication, utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath
from services.admin_api.api.schemas.publications import (
    Kind,
    OutcomeRead,
    PublicationCreate,
    PublicationRead,
    PublicationUpdate,
    QuotaEntryRead,
    QuotaRead,
    ReachRead,
    RecipientRead,
    ReviewBody,
    Status,
)
from services.admin_api.listing import ListQuery, Page
from services.admin_api.publishing import repository, workflow
from services.admin_api.publishing.quota import period_of, quota_ledger, quota_used
from services.admin_api.scope import account_in_scope, by_org

router = APIRouter(prefix="/api/v1/publications", tags=["publishing 消息发布"])


async def load_publication(
    publication_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Publication:
    """The publication in the path, within the caller's scope."""
    publication = await by_org(session, principal, Publication, publication_id, "publication")
    await account_in_scope(session, principal, publication.account_id)
    return publication


ScopedPublication = Annotated[Publication, Depends(load_publication)]


@router.get(
    "",
    response_model=Page[PublicationRead],
    dependencies=[Perm("content.read")],
    summary="发布列表 · list publications",
)
async def list_publications(
    principal: CurrentUser,
    session: SessionDep,
    params: ListQuery,
    status: Annotated[Status | None, Query(description="状态 · status")] = None,
    kind: Annotated[Kind | None, Query(description="类型 · kind")] = None,
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ] = None,
) -> Page[PublicationRead]:
    """Publications of the caller's subtree (what was sent, and what waits for review)."""
    items, total = await repository.list_publications(
        session, principal=principal, params=params, status=status, kind=kind, account_id=account_id
    )
    return Page[PublicationRead](
        items=[PublicationRead.model_validate(p) for p in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/quota",
    response_model=QuotaRead,
    dependencies=[Perm("content.read")],
    summary="群发额度 · mass-send quota",
)
async def get_quota(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    account_id: Annotated[int, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")],
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份 YYYY-MM · month")
    ] = None,
) -> QuotaRead:
    """How much of the monthly mass-send quota is used, and by which sends."""
    await account_in_scope(session, principal, account_id)
    month = period or period_of(utcnow())
    ledger = await quota_ledger(session, account_id, month)
    return QuotaRead(
        account_id=account_id,
        period=month,
        used=await quota_used(session, account_id, month),
        limit=state.settings.mass_quota_per_month,
        entries=[
            QuotaEntryRead(
                publication_id=entry.publication_id,
                title=title,
                amount=entry.amount,
                claimed_at=entry.created_at,
            )
            for entry, title in ledger
        ],
    )


@router.post(
    "",
    response_model=PublicationRead,
    status_code=201,
    dependencies=[Perm("content.submit")],
    summary="新建草稿 · create draft",
)
async def create_publication(
    body: PublicationCreate, principal: CurrentUser, session: SessionDep
) -> PublicationRead:
    """A draft for an account the caller's organisation may publish to."""
    publication = await workflow.create_draft(
        session,
        principal,
        account_id=body.account_id,
        kind=body.kind,
        title=body.title,
        material_id=body.material_id,
        text=body.text,
        audience=body.audience.model_dump(exclude_none=True),
        scheduled_at=body.scheduled_at,
    )
    return PublicationRead.model_validate(publication)


@router.get(
    "/{publication_id}",
    response_model=PublicationRead,
    dependencies=[Perm("content.read")],
    summary="发布详情 · get publication",
)
async def get_publication(publication: ScopedPublication) -> PublicationRead:
    """One publication."""
    return PublicationRead.model_validate(publication)


@router.patch(
    "/{publication_id}",
    response_model=PublicationRead,
    dependencies=[Perm("content.submit")],
    summary="修改草稿 · edit draft",
)
async def update_publication(
    publication: ScopedPublication,
    body: PublicationUpdate,
    principal: CurrentUser,
    session: SessionDep,
) -> PublicationRead:
    """Edit a draft or a rejected publication (which becomes a draft again)."""
    await workflow.edit(session, principal, publication, body.model_dump(exclude_unset=True))
    return PublicationRead.model_validate(publication)


@router.put(
    "/{publication_id}/recipients",
    response_model=PublicationRead,
    dependencies=[Perm("content.submit")],
    summary="上传接收人名单 · upload recipient list",
)
async def upload_recipients(
    publication: ScopedPublication,
    file: Annotated[
        UploadFile,
        File(
            description="OpenID 名单（每行一个，或 CSV 首列） · "
            "one openid per line, or a CSV's first column"
        ),
    ],
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> PublicationRead:
    """Set a list publication's recipients from a file; malformed lines are reported."""
    await workflow.set_recipients(
        session, principal, publication, read=file.read, max_bytes=state.settings.max_csv_bytes
    )
    return PublicationRead.model_validate(publication)


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


@router.get(
    "/{publication_id}/recipients",
    response_model=Page[RecipientRead],
    dependencies=[Perm("content.read")],
    summary="发送明细 · what was sent",
)
async def list_recipients(
    publication: ScopedPublication,
    session: SessionDep,
    params: ListQuery,
    status: Annotated[
        Literal["pending", "queued"] | None,
        Query(description="排队状态 · pending (not yet queued) or queued"),
    ] = None,
) -> Page[RecipientRead]:
    """Each recipient: ``status`` says whether it was queued on the bus, ``delivery_status`` the
    outcome the dispatcher recorded in its notification row (keyed by ``message_id``)."""
    rows, total = await repository.list_recipients(
        session, publication_id=publication.id, params=params, status=status
    )
    return Page[RecipientRead](
        items=[
            RecipientRead(
                openid=r.openid,
                message_id=r.message_id,
                status=r.status,
                sent_at=r.sent_at,
                delivery_status=outcome.status if outcome else None,
                reason=outcome.reason if outcome else None,
            )
            for r, outcome in rows
        ],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/{publication_id}/outcome",
    response_model=OutcomeRead,
    dependencies=[Perm("content.read")],
    summary="发送结果汇总 · delivery outcome summary",
)
async def get_outcome(publication: ScopedPublication, session: SessionDep) -> OutcomeRead:
    """Recipients counted by queue state and by the dispatcher's delivery status."""
    queued: dict[str, int] = {}
    delivery: dict[str, int] = {}
    for queue_state, delivery_state, count in await repository.count_outcomes(
        session, publication_id=publication.id
    ):
        queued[queue_state] = queued.get(queue_state, 0) + count
        key = delivery_state or "unknown"
        delivery[key] = delivery.get(key, 0) + count
    jobs, reported, total, filtered, sent, errors = await repository.sum_mass_reach(
        session, publication_id=publication.id
    )
    reach = (
        ReachRead(
            jobs=jobs, reported=reported, total=total, filtered=filtered, sent=sent, errors=errors
        )
        if jobs
        else None
    )
    return OutcomeRead(
        publication_id=publication.id,
        status=publication.status,
        recipients=sum(queued.values()),
        queued=queued,
        delivery=delivery,
        reach=reach,
    )


@router.delete(
    "/{publication_id}",
    response_model=Deleted,
    dependencies=[Perm("content.submit")],
    summary="删除草稿 · delete draft",
)
async def delete_publication(
    publication: ScopedPublication, principal: CurrentUser, session: SessionDep
) -> Deleted:
    """Delete a draft, rejected or cancelled publication (sent ones stay for the record)."""
    await workflow.delete(session, principal, publication)
    return Deleted(id=str(publication.id))
