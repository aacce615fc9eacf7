"""Drafts: create, read, edit, give a list publication its recipients, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, UploadFile

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import Deleted
from services.admin_api.api.routes.publications.access import (
    ScopedPublication,
    publications_router,
)
from services.admin_api.api.schemas.publications import (
    PublicationCreate,
    PublicationRead,
    PublicationUpdate,
)
from services.admin_api.publishing import workflow

router = publications_router()


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
