"""HTTP models of publications and mass sends (R-AD-6, R-AD-7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.media_limits import TEXT_MAX_CHARS

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


class QuotaEntryRead(BaseModel):
    """One approved mass send's claim on the monthly quota."""

    publication_id: int = Field(ge=1, le=MAX_ID, description="发布 ID · publication id")
    title: str = Field(description="标题 · title")
    amount: int = Field(description="占用次数 · sends claimed")
    claimed_at: datetime = Field(description="占用时间（审核通过） · claimed (approved) at")


class QuotaRead(BaseModel):
    """The account's mass-send quota for a month, with its ledger."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    period: str = Field(description="月份 · month (YYYY-MM)")
    used: int = Field(description="已用 · used")
    limit: int = Field(description="上限 · limit")
    entries: list[QuotaEntryRead] = Field(description="额度明细 · the month's claims, oldest first")


class ReachRead(BaseModel):
    """A mass send's reach as WeChat reported it (MASSSENDJOBFINISH), summed over its jobs."""

    jobs: int = Field(description="群发任务数 · mass-send jobs")
    reported: int = Field(description="已回报任务数 · jobs WeChat reported on")
    total: int = Field(description="目标人数 · TotalCount")
    filtered: int = Field(description="过滤后人数 · FilterCount (after WeChat's filter)")
    sent: int = Field(description="发送成功 · SentCount")
    errors: int = Field(description="发送失败 · ErrorCount")


class OutcomeRead(BaseModel):
    """How a publication's messages fared, counted per queue state and per delivery outcome."""

    publication_id: int = Field(description="发布 ID · publication id")
    status: str = Field(description="发布状态 · publication status")
    recipients: int = Field(description="接收人数 · recipients")
    queued: dict[str, int] = Field(description="按排队状态计数 · per queue state")
    delivery: dict[str, int] = Field(
        description="按投递结果计数（unknown：尚无记录） · per delivery outcome (unknown: none yet)"
    )
    reach: ReachRead | None = Field(
        default=None, description="群发到达 · a mass send's reach (None: no mass-send job)"
    )
