"""Publishing (消息发布) and mass sends (消息群发) with review (R-AD-6, R-AD-7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select

from libs.common.db.models import (
    AdminUser,
    Material,
    Notification,
    Org,
    Publication,
    PublicationRecipient,
    utcnow,
)
from libs.common.db.models.admin import SavedAudience
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import (
    FieldError,
    FieldErrors,
    InvalidState,
    LimitExceeded,
    PermissionDenied,
)
from services.admin_api.listing import ListQuery, Page, paginate
from services.admin_api.media_limits import TEXT_MAX_CHARS
from services.admin_api.publishing import (
    audience_count,
    period_of,
    quota_used,
    release_quota,
    require_state,
    reserve_quota,
)
from services.admin_api.scope import Principal, account_in_scope, by_org

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


async def _check_content(
    session: SessionDep, principal: Principal, material_id: int | None
) -> None:
    if material_id is not None:
        await by_org(session, principal, Material, material_id, "material")


async def _saved_audience(
    session: SessionDep, principal: Principal, account_id: int, audience: dict[str, Any]
) -> int | None:
    """The id of the saved audience ``audience`` targets, checked against scope and account."""
    audience_id = audience.get("audience_id")
    if audience_id is None:
        return None
    saved = await by_org(session, principal, SavedAudience, audience_id, "audience")
    if saved.account_id != account_id:
        raise FieldErrors(
            "the saved audience belongs to another account",
            [FieldError("body.audience.audience_id", "not an audience of this account")],
        )
    return saved.id


async def load_publication(
    publication_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Publication:
    """The publication in the path, within the caller's scope."""
    publication = await by_org(session, principal, Publication, publication_id, "publication")
    await account_in_scope(session, principal, publication.account_id)
    return publication


ScopedPublication = Annotated[Publication, Depends(load_publication)]
_SORT = {
    "id": Publication.id,
    "created_at": Publication.created_at,
    "scheduled_at": Publication.scheduled_at,
    "status": Publication.status,
}


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
    stmt = select(Publication).where(principal.org_clause(Publication.org_id))
    if status:
        stmt = stmt.where(Publication.status == status)
    if kind:
        stmt = stmt.where(Publication.kind == kind)
    if account_id is not None:
        stmt = stmt.where(Publication.account_id == account_id)
    items, total = await paginate(
        session,
        stmt,
        params,
        sortable=_SORT,
        default_sort=[Publication.id.desc()],
        search=[Publication.title, Publication.text],
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
    await account_in_scope(session, principal, body.account_id)
    await _check_content(session, principal, body.material_id)
    audience = body.audience.model_dump(exclude_none=True)
    saved_id = await _saved_audience(session, principal, body.account_id, audience)
    publication = Publication(
        org_id=principal.org_id,
        account_id=body.account_id,
        author_id=principal.user_id,
        kind=body.kind,
        title=body.title,
        material_id=body.material_id,
        text=body.text,
        audience=audience,
        saved_audience_id=saved_id,
        scheduled_at=body.scheduled_at,
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


def _own(principal: Principal, publication: Publication) -> None:
    if publication.author_id != principal.user_id and not principal.is_head_office:
        raise PermissionDenied("only the author (or the head office) edits this publication")


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
    require_state(publication, "edit")
    _own(principal, publication)
    before = snapshot(publication)
    changes = body.model_dump(exclude_unset=True)
    if "material_id" in changes:
        await _check_content(session, principal, changes["material_id"])
    if "audience" in changes and changes["audience"] is not None:
        changes["audience"] = {k: v for k, v in changes["audience"].items() if v is not None}
        if "audience_id" in changes["audience"] and publication.kind not in {"group", "mass"}:
            raise FieldErrors(
                "only group and mass sends target a saved audience",
                [FieldError("body.audience.audience_id", "not allowed for this kind")],
            )
        changes["saved_audience_id"] = await _saved_audience(
            session, principal, publication.account_id, changes["audience"]
        )
    for key, value in changes.items():
        setattr(publication, key, value)
    publication.status = "draft"
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
    require_state(publication, "edit")
    _own(principal, publication)
    if publication.kind != "list":
        raise InvalidState("recipient files are for 'list' publications")
    raw = await file.read(state.settings.max_csv_bytes + 1)
    if len(raw) > state.settings.max_csv_bytes:
        raise LimitExceeded("recipient file too large", limit="max_csv_bytes")
    openids: list[str] = []
    errors: list[FieldError] = []
    for number, line in enumerate(raw.decode("utf-8-sig", errors="replace").splitlines(), 1):
        value = line.split(",")[0].strip().strip('"')
        if not value or value.lower() == "openid":
            continue
        if not value.replace("-", "").replace("_", "").isalnum() or len(value) > 64:
            errors.append(FieldError(f"file.line[{number}]", f"not an openid: {value[:40]!r}"))
        else:
            openids.append(value)
    if errors:
        raise FieldErrors("the recipient file has malformed lines", errors[:100])
    before = snapshot(publication)
    publication.audience = {"openids": list(dict.fromkeys(openids))}
    publication.status = "draft"
    await session.flush()
    await record(
        session,
        principal,
        "publication.recipients",
        "publication",
        publication.id,
        before=before,
        after={"recipients": len(publication.audience["openids"])},
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
    require_state(publication, "submit")
    _own(principal, publication)
    count = await audience_count(session, publication)
    if count == 0:
        raise InvalidState("the audience is empty")
    publication.recipient_count = count
    publication.status = "submitted"
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
    return PublicationRead.model_validate(publication)


async def _check_reviewer(
    session: SessionDep, principal: Principal, publication: Publication
) -> None:
    if publication.author_id == principal.user_id:
        raise PermissionDenied("the approver cannot be the author")
    author = await session.get(AdminUser, publication.author_id)
    author_org = await session.get(Org, author.org_id) if author else None
    branch_content = author_org is None or author_org.parent_id is not None
    if branch_content and not principal.is_head_office:
        raise PermissionDenied("branch content needs head-office approval")


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
    require_state(publication, "approve")
    await _check_reviewer(session, principal, publication)
    await reserve_quota(session, publication, state.settings.mass_quota_per_month)
    publication.reviewer_id = principal.user_id
    publication.reviewed_at = utcnow()
    publication.review_comment = body.comment
    publication.status = "approved"
    await record(
        session,
        principal,
        "publication.approve",
        "publication",
        publication.id,
        after={"comment": body.comment},
    )
    publication.status = "scheduled"
    await session.flush()
    await record(
        session,
        principal,
        "publication.schedule",
        "publication",
        publication.id,
        after={
            "scheduled_at": publication.scheduled_at.isoformat()
            if publication.scheduled_at
            else "now"
        },
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
    require_state(publication, "reject")
    await _check_reviewer(session, principal, publication)
    if not body.comment.strip():
        raise FieldErrors(
            "a rejection needs a comment",
            [FieldError("body.comment", "required when rejecting", "missing")],
        )
    publication.reviewer_id = principal.user_id
    publication.reviewed_at = utcnow()
    publication.review_comment = body.comment
    publication.status = "rejected"
    await session.flush()
    await record(
        session,
        principal,
        "publication.reject",
        "publication",
        publication.id,
        after={"comment": body.comment},
    )
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
    require_state(publication, "cancel")
    _own(principal, publication)
    await release_quota(session, publication)
    publication.status = "cancelled"
    await session.flush()
    await record(session, principal, "publication.cancel", "publication", publication.id)
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
    stmt = select(PublicationRecipient).where(PublicationRecipient.publication_id == publication.id)
    if status is not None:
        stmt = stmt.where(PublicationRecipient.status == status)
    items, total = await paginate(
        session,
        stmt,
        params,
        default_sort=[PublicationRecipient.id],
        sortable={"id": PublicationRecipient.id, "openid": PublicationRecipient.openid},
        search=[PublicationRecipient.openid],
    )
    ids = [r.message_id for r in items if r.message_id]
    outcomes = (
        {
            n.id: n
            for n in await session.scalars(select(Notification).where(Notification.id.in_(ids)))
        }
        if ids
        else {}
    )
    return Page[RecipientRead](
        items=[
            RecipientRead(
                openid=r.openid,
                message_id=r.message_id,
                status=r.status,
                sent_at=r.sent_at,
                delivery_status=outcomes[r.message_id].status if r.message_id in outcomes else None,
                reason=outcomes[r.message_id].reason if r.message_id in outcomes else None,
            )
            for r in items
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
    rows = await session.execute(
        select(PublicationRecipient.status, Notification.status, func.count())
        .outerjoin(Notification, Notification.id == PublicationRecipient.message_id)
        .where(PublicationRecipient.publication_id == publication.id)
        .group_by(PublicationRecipient.status, Notification.status)
    )
    queued: dict[str, int] = {}
    delivery: dict[str, int] = {}
    for queue_state, delivery_state, count in rows:
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
    require_state(publication, "delete")
    _own(principal, publication)
    before = snapshot(publication)
    await session.delete(publication)
    await session.flush()
    await record(
        session, principal, "publication.delete", "publication", publication.id, before=before
    )
    return Deleted(id=str(publication.id))
