"""Publishing (消息发布) and mass sends (消息群发) with review (R-AD-6, R-AD-7).

The HTTP edge only: every step is a call into :mod:`services.admin_api.publishing.workflow`,
which owns the states, the quota and the audit entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field, model_validator

from libs.common.db.models import Publication, utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.listing import ListQuery, Page
from services.admin_api.media_limits import TEXT_MAX_CHARS
from services.admin_api.publishing import repository, workflow
from services.admin_api.publishing.quota import period_of, quota_used
from services.admin_api.scope import account_in_scope, by_org

router = APIRouter(prefix="/api/v1/publications", tags=["publishing 消息发布"])

Kind = Literal["single", "group", "list", "mass"]
Status = Literal[
    "draft", "submitted", "approved", "rejected", "scheduled", "sending", "done", "cancelled"
]
MAX_LIST = 100_000


class Audience(BaseModel):
    """Who receives it: ``openid`` (single), ``tag`` or ``audience_id`` (group), ``openids``
    (list, or upload a file), or segmentation criteria (mass: category, region, occupation,
    tag) or ``audience_id``; a saved audience is resolved when the send goes out."""

    openid: str | None = Field(None, max_length=64, description="单个用户 OpenID · one user")
    tag: str | None = Field(None, max_length=32, description="客户标签 · customer tag")
    openids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=MAX_LIST, description="OpenID 列表 · openid list"
    )
    category: str | None = Field(None, max_length=32, description="客户类别 · category")
    region: str | None = Field(None, max_length=64, description="地区 · region")
    occupation: str | None = Field(None, max_length=64, description="职业 · occupation")
    audience_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="保存的受众 ID · saved audience (group or mass)"
    )

    @model_validator(mode="after")
    def _saved_alone(self) -> Audience:
        criteria = (self.tag, self.category, self.region, self.occupation, self.openid)
        if self.audience_id is not None and any(c is not None for c in criteria):
            raise ValueError("a saved audience (audience_id) takes no other criteria")
        return self


class PublicationCreate(WriteModel):
    """A draft publication."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    kind: Kind = Field(description="single 单发 / group 分组 / list 名单 / mass 群发 · kind")
    title: str = Field("", max_length=256, description="标题 · title")
    material_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="素材 ID · material from the library"
    )
    text: str = Field("", max_length=TEXT_MAX_CHARS, description="文本内容 · text (≤ 600)")
    audience: Audience = Field(default_factory=Audience, description="接收人 · audience")
    scheduled_at: datetime | None = Field(None, description="定时发送（空为立即） · send at")

    @model_validator(mode="after")
    def _shape(self) -> PublicationCreate:
        if (self.material_id is None) == (not self.text):
            raise ValueError("give either material_id or text")
        if self.kind == "single" and not self.audience.openid:
            raise ValueError("a single send needs audience.openid")
        if self.kind == "group" and not (self.audience.tag or self.audience.audience_id):
            raise ValueError("a group send needs audience.tag or audience.audience_id")
        if self.audience.audience_id is not None and self.kind not in {"group", "mass"}:
            raise ValueError("only group and mass sends target a saved audience")
        return self


class PublicationUpdate(WriteModel):
    """Changes to a draft (or a rejected publication, which returns it to draft)."""

    title: str | None = Field(None, max_length=256, description="标题 · title")
    material_id: int | None = Field(None, ge=1, le=MAX_ID, description="素材 ID · material id")
    text: str | None = Field(None, max_length=TEXT_MAX_CHARS, description="文本内容 · text")
    audience: Audience | None = Field(None, description="接收人 · audience")
    scheduled_at: datetime | None = Field(None, description="定时发送 · send at")


class ReviewBody(WriteModel):
    """A reviewer's decision note."""

    comment: str = Field("", max_length=1000, description="审核意见 · review comment")


class PublicationRead(ReadModel):
    """A publication and where it stands."""

    id: int = Field(description="ID · id")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · org")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    author_id: int = Field(ge=1, le=MAX_ID, description="作者 · author")
    kind: str = Field(description="类型 · kind")
    title: str = Field(description="标题 · title")
    material_id: int | None = Field(ge=1, le=MAX_ID, description="素材 ID · material id")
    text: str = Field(description="文本 · text")
    audience: dict[str, Any] = Field(description="接收人 · audience")
    recipient_count: int = Field(description="提交时的接收人数 · recipients at submission")
    scheduled_at: datetime | None = Field(description="定时 · scheduled at")
    status: str = Field(description="状态 · status")
    submitted_at: datetime | None = Field(description="提交时间 · submitted at")
    reviewer_id: int | None = Field(ge=1, le=MAX_ID, description="审核人 · reviewer")
    reviewed_at: datetime | None = Field(description="审核时间 · reviewed at")
    review_comment: str = Field(description="审核意见 · review comment")
    started_at: datetime | None = Field(description="开始发送 · started at")
    finished_at: datetime | None = Field(description="完成时间 · finished at")
    sent_count: int = Field(description="已投递消息数 · messages queued")


class RecipientRead(BaseModel):
    """One recipient and the delivery outcome the dispatcher recorded (when it records one)."""

    openid: str = Field(description="OpenID")
    message_id: str | None = Field(description="消息 ID · message id")
    status: str = Field(description="状态 · status")
    delivery_status: str | None = Field(description="投递结果 · delivery outcome")
    reason: str | None = Field(description="失败原因 · failure reason")
    sent_at: datetime | None = Field(description="发送时间 · sent at")


class QuotaRead(BaseModel):
    """The account's mass-send quota for a month."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    period: str = Field(description="月份 · month (YYYY-MM)")
    used: int = Field(description="已用 · used")
    limit: int = Field(description="上限 · limit")


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
    """How much of the monthly mass-send quota is used."""
    await account_in_scope(session, principal, account_id)
    month = period or period_of(utcnow())
    return QuotaRead(
        account_id=account_id,
        period=month,
        used=await quota_used(session, account_id, month),
        limit=state.settings.mass_quota_per_month,
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


class OutcomeRead(BaseModel):
    """How a publication's messages fared, counted per queue state and per delivery outcome."""

    publication_id: int = Field(description="发布 ID · publication id")
    status: str = Field(description="发布状态 · publication status")
    recipients: int = Field(description="接收人数 · recipients")
    queued: dict[str, int] = Field(description="按排队状态计数 · per queue state")
    delivery: dict[str, int] = Field(
        description="按投递结果计数（unknown：尚无记录） · per delivery outcome (unknown: none yet)"
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
    return OutcomeRead(
        publication_id=publication.id,
        status=publication.status,
        recipients=sum(queued.values()),
        queued=queued,
        delivery=delivery,
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
