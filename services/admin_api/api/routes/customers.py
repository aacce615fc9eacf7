"""Customers (R-AD-10): search and filter with pagination; segmentation profile editing; the
one-click "follow head office" hand-over when a branch account cannot answer.

Customer and phone numbers are masked in every answer; ``POST /{id}/reveal`` shows them whole to
holders of ``customer.reveal``, with a stated reason, and records who saw which fields and why (the
values themselves stay out of the audit log, which more people may read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from libs.common.bus import OUTBOUND
from libs.common.customer_numbers import masked_customer_no, opened, tokens_of
from libs.common.db.models import Account, Customer, CustomerProfile
from libs.common.db.models.admin import Handover
from libs.common.masking import mask_phone
from libs.common.phones import contact_phone
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, IdPath, ReadModel, WriteModel
from services.admin_api.audience import CustomerFilter
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import FieldError, FieldErrors, InvalidState
from services.admin_api.listing import ListQuery, Page
from services.admin_api.media_limits import TEXT_MAX_CHARS
from services.admin_api.repositories import customers, rows
from services.admin_api.scope import by_account

router = APIRouter(prefix="/api/v1/customers", tags=["customers 客户"])

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


def to_read(customer: Customer, profile: CustomerProfile | None, box: SecretBox) -> CustomerRead:
    """The API view of a customer (customer number and phone masked)."""
    return CustomerRead(
        id=customer.id,
        account_id=customer.account_id,
        openid=customer.openid,
        subscribed=customer.subscribed,
        binding_state=customer.binding_state,
        customer_no=masked_customer_no(box, customer.customer_no_enc),
        phone=mask_phone(contact_phone(box, customer.phone_enc, customer.phone)),
        category=profile.category if profile else "",
        region=profile.region if profile else "",
        occupation=profile.occupation if profile else "",
        tags=list(profile.tags) if profile else [],
        subscriptions=list(profile.subscriptions) if profile else [],
        last_interaction_at=customer.last_interaction_at,
    )


def customer_filter(
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ] = None,
    category: Annotated[str | None, Query(max_length=32, description="客户类别 · category")] = None,
    region: Annotated[str | None, Query(max_length=64, description="地区 · region")] = None,
    occupation: Annotated[str | None, Query(max_length=64, description="职业 · occupation")] = None,
    tag: Annotated[str | None, Query(max_length=32, description="标签 · tag")] = None,
    binding_state: Annotated[Binding | None, Query(description="绑定状态 · binding")] = None,
    subscribed: Annotated[bool | None, Query(description="是否关注 · following")] = None,
) -> CustomerFilter:
    """The filter query parameters shared by search and count."""
    return CustomerFilter(account_id, category, region, occupation, tag, binding_state, subscribed)


FilterDep = Annotated[CustomerFilter, Depends(customer_filter)]


@router.get(
    "",
    response_model=Page[CustomerRead],
    dependencies=[Perm("customer.read")],
    summary="客户搜索 · search customers",
)
async def search_customers(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    params: ListQuery,
    filters: FilterDep,
    customer_no: Annotated[
        str | None, Query(max_length=32, description="客户号（精确） · customer number (exact)")
    ] = None,
) -> Page[CustomerRead]:
    """Customers of the accounts the caller sees; ``q`` searches openids."""
    items, total = await customers.list_customers(
        session,
        principal=principal,
        flt=filters,
        params=params,
        customer_no_tokens=tokens_of(state.secret_box, [customer_no]) if customer_no else (),
    )
    profiles = await customers.list_profiles(session, customer_ids=[c.id for c in items])
    return Page[CustomerRead](
        items=[to_read(c, profiles.get(c.id), state.secret_box) for c in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/count",
    response_model=CountRead,
    dependencies=[Perm("customer.read")],
    summary="客户计数 · count customers",
)
async def count_customers(
    principal: CurrentUser, session: SessionDep, filters: FilterDep
) -> CountRead:
    """How many customers match (the live audience count before a mass send)."""
    total = await customers.count_customers(session, principal=principal, flt=filters)
    return CountRead(count=total)


async def load_customer(
    customer_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Customer:
    """The customer in the path, within the caller's scope."""
    return await by_account(session, principal, Customer, customer_id, "customer")


ScopedCustomer = Annotated[Customer, Depends(load_customer)]


@router.get(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.read")],
    summary="客户详情 · get customer",
)
async def get_customer(
    customer: ScopedCustomer, session: SessionDep, state: StateDep
) -> CustomerRead:
    """One customer (customer number and phone masked)."""
    profile = await rows.get(session, CustomerProfile, customer.id)
    return to_read(customer, profile, state.secret_box)


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    dependencies=[Perm("customer.edit")],
    summary="修改客户分群信息 · update customer profile",
)
async def update_customer(
    customer: ScopedCustomer,
    body: ProfileUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> CustomerRead:
    """Set category, region, occupation, tags and subscriptions."""
    profile = await rows.get(session, CustomerProfile, customer.id)
    before = snapshot(profile)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if profile is None:
        defaults = {"customer_id": customer.id, "tags": [], "subscriptions": []}
        profile = await rows.add(session, CustomerProfile(**(defaults | changes)))
    else:
        await rows.update(session, profile, changes)
    await record(
        session,
        principal,
        "customer.update",
        "customer",
        customer.id,
        before=before,
        after=snapshot(profile),
    )
    return to_read(customer, profile, state.secret_box)


@router.post(
    "/{customer_id}/reveal",
    response_model=RevealRead,
    dependencies=[Perm("customer.reveal")],
    summary="查看完整号码 · reveal customer and phone numbers",
)
async def reveal(
    customer: ScopedCustomer,
    body: RevealRequest,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> RevealRead:
    """The unmasked numbers; audited with the reason and which fields were shown."""
    phone = contact_phone(state.secret_box, customer.phone_enc, customer.phone)
    customer_no = opened(state.secret_box, customer.customer_no_enc)
    numbers = {"customer_no": customer_no, "phone": phone}
    shown = [field for field, value in numbers.items() if value]
    await record(
        session,
        principal,
        "customer.reveal",
        "customer",
        customer.id,
        after={"reason": body.reason, "fields": shown},
    )
    return RevealRead(id=customer.id, customer_no=customer_no, phone=phone)


async def _head_office_account(session: SessionDep, account_id: int | None) -> Account:
    """The head-office account to hand over to: the one asked for, or the first enabled one."""
    account = await customers.get_head_office_account(session, account_id=account_id)
    if account is None:
        if account_id is not None:
            raise FieldErrors(
                "not an enabled head-office account",
                [FieldError("body.to_account_id", "not a head-office account", "invalid")],
            )
        raise InvalidState("there is no enabled head-office account to hand over to")
    return account


@router.post(
    "/{customer_id}/handover",
    response_model=HandoverRead,
    status_code=201,
    dependencies=[Perm("customer.handover")],
    summary="一键转总行 · hand over to head office",
)
async def handover(
    customer: ScopedCustomer,
    body: HandoverCreate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> HandoverRead:
    """For a branch account that cannot answer: record the hand-over and queue a
    customer-service text telling the customer to follow the head-office account."""
    source, source_org = await customers.get_account_org(session, account_id=customer.account_id)
    if source_org is None or source_org.parent_id is None:
        raise InvalidState("the customer already follows a head-office account")
    if not customer.subscribed:
        raise InvalidState("the customer no longer follows the branch account")
    target = await _head_office_account(session, body.to_account_id)
    text = body.text or state.settings.handover_text.format(account=target.name)
    row = await rows.add(
        session,
        Handover(
            customer_id=customer.id,
            from_account_id=source.id,
            to_account_id=target.id,
            openid=customer.openid,
            text=text,
            note=body.note,
            message_id="",
            user_id=principal.user_id,
            org_id=principal.org_id,
        ),
    )
    row.message_id = f"handover{row.id}"
    await record(
        session, principal, "customer.handover", "customer", customer.id, after=snapshot(row)
    )
    # Published inside the request's transaction: a failure to queue rolls the record back, so
    # the log never claims a message that was not sent (the rare reverse, a message whose
    # commit then fails, still leaves the dispatcher's notification row keyed by message_id).
    message = OutboundRequested(
        message_id=row.message_id,
        correlation_id=f"handover:{row.id}",
        account=source.code,
        openid=customer.openid,
        priority="alert",
        origin="handover",
        custom_message={"msgtype": "text", "text": {"content": text}},
    )
    await state.bus.publish(
        OUTBOUND, "alert.wechat", message.to_bytes(), message_id=message.message_id
    )
    return HandoverRead.model_validate(row)


@router.get(
    "/{customer_id}/handovers",
    response_model=Page[HandoverRead],
    dependencies=[Perm("customer.read")],
    summary="转总行记录 · hand-overs of a customer",
)
async def list_handovers(
    customer: ScopedCustomer, session: SessionDep, params: ListQuery
) -> Page[HandoverRead]:
    """The customer's hand-overs, newest first by default."""
    items, total = await customers.list_handovers(session, customer_id=customer.id, params=params)
    return Page[HandoverRead](
        items=[HandoverRead.model_validate(h) for h in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )
