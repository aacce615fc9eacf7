"""Applications of prospects (R-EN-8): list them and move their status on.

Applicants submit on ``/h5/apply`` (the gateway); "进度" in chat shows what staff set here. The
phone number is masked in every answer. A status change follows ``libs/common/applications.py``
(a step it does not allow is a 409 ``invalid_state``), is audited with the before and after, and
tells the applicant in chat (a customer-service message through the dispatcher, ``origin``
``application``; outside WeChat's 48-hour window it is not delivered, and "进度" still answers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from libs.common.applications import (
    STATUS_LABELS,
    TransitionRefused,
    next_statuses,
    reference,
    status_notice,
)
from libs.common.bus import OUTBOUND
from libs.common.db.models import Account, Application
from libs.common.masking import mask_phone
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, IdPath, WriteModel
from services.admin_api.audit import record
from services.admin_api.errors import InvalidState
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import applications, rows
from services.admin_api.scope import by_account

router = APIRouter(prefix="/api/v1/applications", tags=["applications 业务申请"])

Status = Literal["submitted", "reviewing", "approved", "rejected", "withdrawn"]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ApplicationRead(BaseModel):
    """An application with its status; the phone number is masked."""

    id: int = Field(description="ID · id")
    reference: str = Field(description="申请编号 · reference told to the applicant")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    openid: str = Field(description="OpenID")
    name: str = Field(description="姓名 · name")
    phone: str = Field(description="手机号（脱敏） · phone number (masked)")
    product: str = Field(description="产品代码 · product code")
    product_name: str = Field(description="产品 · product")
    status: Status = Field(description="状态 · status")
    status_label: str = Field(description="客户看到的状态 · status as the applicant reads it")
    status_note: str = Field(description="给客户的说明 · note shown to the applicant")
    next_statuses: list[Status] = Field(
        description="可变更为（按流程顺序） · statuses it may move to, in workflow order"
    )
    created_at: datetime = Field(description="提交时间 · submitted at")
    updated_at: datetime = Field(description="更新时间 · updated at")


class StatusChange(WriteModel):
    """The new status and what the applicant is told with it ("进度")."""

    status: Status = Field(description="新状态 · new status")
    note: Note = Field("", description="给客户的说明（≤200 字） · note for the applicant")


def to_read(application: Application, box: SecretBox) -> ApplicationRead:
    """The API view of an application (phone masked)."""
    return ApplicationRead(
        id=application.id,
        reference=reference(application),
        account_id=application.account_id,
        openid=application.openid,
        name=application.name,
        phone=mask_phone(box.decrypt(application.phone_enc)) or "",
        product=application.product,
        product_name=application.product_name,
        status=application.status,
        status_label=STATUS_LABELS.get(application.status, application.status),
        status_note=application.status_note,
        next_statuses=next_statuses(application.status),
        created_at=application.created_at,
        updated_at=application.updated_at,
    )


@router.get(
    "",
    response_model=Page[ApplicationRead],
    dependencies=[Perm("application.read")],
    summary="业务申请列表 · list applications",
)
async def list_applications(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    params: ListQuery,
    account_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ] = None,
    status: Annotated[Status | None, Query(description="状态 · status")] = None,
    product: Annotated[str | None, Query(max_length=32, description="产品代码 · product")] = None,
) -> Page[ApplicationRead]:
    """Applications to the accounts the caller sees; ``q`` searches names and openids."""
    items, total = await applications.list_applications(
        session,
        principal=principal,
        params=params,
        account_id=account_id,
        status=status,
        product=product,
    )
    return Page[ApplicationRead].of([to_read(a, state.secret_box) for a in items], total, params)


async def load_application(
    application_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Application:
    """The application in the path, within the caller's scope."""
    return await by_account(session, principal, Application, application_id, "application")


ScopedApplication = Annotated[Application, Depends(load_application)]


@router.get(
    "/{application_id}",
    response_model=ApplicationRead,
    dependencies=[Perm("application.read")],
    summary="业务申请详情 · get application",
)
async def get_application(application: ScopedApplication, state: StateDep) -> ApplicationRead:
    """One application (phone masked)."""
    return to_read(application, state.secret_box)


@router.post(
    "/{application_id}/status",
    response_model=ApplicationRead,
    dependencies=[Perm("application.manage")],
    summary="变更申请状态 · change an application's status",
)
async def change_status(
    application: ScopedApplication,
    body: StatusChange,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> ApplicationRead:
    """Move the status on as the workflow allows; audited; the applicant is told in chat."""
    before = {"status": application.status, "note": application.status_note}
    try:
        await applications.update_status(
            session, application=application, status=body.status, note=body.note
        )
    except TransitionRefused as exc:
        raise InvalidState(str(exc)) from None
    await record(
        session,
        principal,
        "application.status",
        "application",
        application.id,
        before=before,
        after={"status": application.status, "note": application.status_note},
    )
    account = await rows.get(session, Account, application.account_id)
    assert account is not None  # the foreign key guarantees it
    # Published inside the request's transaction, as hand-overs are: a failure to queue rolls
    # the change back. Each status is reached once, so the message id is unique.
    message = OutboundRequested(
        message_id=f"application{application.id}-{application.status}",
        correlation_id=f"application:{application.id}",
        account=account.code,
        openid=application.openid,
        priority="alert",
        origin="application",
        custom_message={"msgtype": "text", "text": {"content": status_notice(application)}},
    )
    await state.bus.publish(
        OUTBOUND, "alert.wechat", message.to_bytes(), message_id=message.message_id
    )
    return to_read(application, state.secret_box)
