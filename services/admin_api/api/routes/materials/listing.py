"""The list of materials, filtered by kind."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.materials.access import materials_router, to_read
from services.admin_api.api.schemas.materials import MaterialRead
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import materials

router = materials_router()


@router.get(
    "",
    response_model=Page[MaterialRead],
    dependencies=[Perm("material.read")],
    summary="素材列表 · list materials",
)
async def list_materials(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    params: ListQuery,
    kind: Annotated[
        Literal["text", "image", "voice", "video", "news"] | None,
        Query(description="类型 · kind"),
    ] = None,
) -> Page[MaterialRead]:
    """Materials of the caller's subtree."""
    items, total = await materials.list_materials(
        session, principal=principal, params=params, kind=kind
    )
    return Page[MaterialRead].of([to_read(m, state) for m in items], total, params)
