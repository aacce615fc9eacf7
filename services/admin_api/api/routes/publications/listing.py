"""The list of publications: what was sent, and what waits for review."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.api.routes.publications.access import publications_router
from services.admin_api.api.schemas.publications import Kind, PublicationRead, Status
from services.admin_api.listing import ListQuery, Page
from services.admin_api.publishing import repository

router = publications_router()


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
    return Page[PublicationRead].of(
        [PublicationRead.model_validate(p) for p in items], total, params
    )
