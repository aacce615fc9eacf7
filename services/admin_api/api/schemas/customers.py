"""HTTP models of customers (R-AD-10): the masked view, segmentation profile edits, revealing
the numbers, and hand-overs to head office."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.media_limits import TEXT_MAX_CHARS

Binding = Literal["unbound", "bound", "suspended"]


class CustomerRead(BaseModel):
    """A follower with the segmentation profile; customer and phone numbers are masked."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    openid: str = Field(description="OpenID")
    subscribed: bool = Field(description="是否关注 · following")
    binding_state: str = Field(description="绑定状态 · binding state")
    customer_no: str | None = Field(description="客户号（脱敏） · customer number (masked)")
    phone: str | None = Field(description="手机号（脱敏） · phone number (masked)")
    category: str = Field(description="客户类别 · category")
    region: str = Field(description="地区 · region")
    occupation: str = Field(description="职业 · occupation")
    tags: list[str] = Field(description="标签 · tags")
    subscriptions: list[str] = Field(description="订阅的服务 · subscriptions")
    last_interaction_at: datetime | None = Field(description="最近互动 · last interaction")


class ProfileUpdate(WriteModel):
    """Segmentation data of a customer."""

    category: str | None = Field(None, max_length=32, description="客户类别 · category")
    region: str | None = Field(None, max_length=64, description="地区 · region")
    occupation: str | None = Field(None, max_length=64, description="职业 · occupation")
    tags: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=50, description="标签 · tags"
    )
    subscriptions: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=50, description="订阅的服务 · subscriptions"
    )


class HandoverCreate(WriteModel):
    """A hand-over to a head-office account (the default one when ``to_account_id`` is omitted)."""

    to_account_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="总部公众号 ID · head-office account (default: first)"
    )
    text: str | None = Field(
        None,
        min_length=1,
        max_length=TEXT_MAX_CHARS,
        description="发给客户的客服消息（默认模板） · message to the customer (default template)",
    )
    note: str = Field("", max_length=1000, description="内部备注 · internal note")


class HandoverRead(ReadModel):
    """A recorded hand-over and the message that tells the customer."""

    id: int = Field(description="ID · id")
    customer_id: int = Field(ge=1, le=MAX_ID, description="客户 ID · customer id")
    from_account_id: int = Field(ge=1, le=MAX_ID, description="分行公众号 · branch account")
    to_account_id: int = Field(ge=1, le=MAX_ID, description="总部公众号 · head-office account")
    openid: str = Field(description="OpenID")
    text: str = Field(description="客服消息 · message sent")
    note: str = Field(description="内部备注 · note")
    message_id: str = Field(description="消息 ID（投递结果按此查询） · message id")
    user_id: int | None = Field(ge=1, le=MAX_ID, description="操作人 · by user")
    created_at: datetime = Field(description="时间 · at")


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class RevealRequest(WriteModel):
    """Why the numbers are needed (kept in the audit log)."""

    reason: Reason = Field(
        description="查看原因 · why the full numbers are needed", examples=["客户来电核实身份"]
    )


class RevealRead(BaseModel):
    """The customer's numbers in full."""

    id: int = Field(description="客户 ID · customer id")
    customer_no: str | None = Field(description="客户号 · customer number")
    phone: str | None = Field(description="手机号 · phone number")


class CountRead(BaseModel):
    """How many customers match."""

    count: int = Field(description="人数 · number of customers")
