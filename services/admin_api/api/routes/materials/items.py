"""One material: read it, edit its title, text or articles, delete it with its file."""

from __future__ import annotations

from typing import Any

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import Deleted
from services.admin_api.api.routes.materials.access import ScopedMaterial, materials_router, to_read
from services.admin_api.api.routes.materials.checks import check_articles, check_text
from services.admin_api.api.schemas.materials import MaterialRead, MaterialUpdate
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict
from services.admin_api.repositories import rows

router = materials_router()


@router.get(
    "/{material_id}",
    response_model=MaterialRead,
    dependencies=[Perm("material.read")],
    summary="素材详情 · get material",
)
async def get_material(material: ScopedMaterial, state: StateDep) -> MaterialRead:
    """One material."""
    return to_read(material, state)


@router.patch(
    "/{material_id}",
    response_model=MaterialRead,
    dependencies=[Perm("material.edit")],
    summary="修改素材 · update material",
)
async def update_material(
    material: ScopedMaterial,
    body: MaterialUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> MaterialRead:
    """Change a title, a text or a news item's articles (limits checked again)."""
    before = snapshot(material)
    changes: dict[str, Any] = {}
    if body.title is not None:
        changes["title"] = body.title
    if body.text is not None:
        if material.kind != "text":
            raise Conflict("only text materials have text")
        check_text(body.text)
        changes["text"] = body.text
    if body.articles is not None:
        if material.kind != "news":
            raise Conflict("only news materials have articles")
        changes["articles"] = await check_articles(session, principal, body.articles)
    await rows.update(session, material, changes)
    await record(
        session,
        principal,
        "material.update",
        "material",
        material.id,
        before=before,
        after=snapshot(material),
    )
    return to_read(material, state)


@router.delete(
    "/{material_id}",
    response_model=Deleted,
    dependencies=[Perm("material.edit")],
    summary="删除素材 · delete material",
)
async def delete_material(
    material: ScopedMaterial, principal: CurrentUser, session: SessionDep, state: StateDep
) -> Deleted:
    """Delete a material (refused while a publication uses it); its file goes too."""
    before = snapshot(material)
    await rows.delete(session, material)
    if material.storage_key:
        await state.materials.delete(session, material.storage_key)
    await record(session, principal, "material.delete", "material", material.id, before=before)
    return Deleted(id=str(material.id))
