"""Who reaches what in the library: its routers' prefix, the material in the path as the caller
may see it, and how a material is shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.common.db.models import Material
from libs.common.material_storage import media_url
from services.admin_api.api.deps import CurrentUser, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.schemas.materials import MaterialRead
from services.admin_api.scope import by_org
from services.admin_api.state import AdminState


def materials_router() -> APIRouter:
    """A router for one resource of the library, under ``/api/v1/materials``."""
    return APIRouter(prefix="/api/v1/materials", tags=["materials 素材库"])


async def load_material(
    material_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Material:
    """The material in the path, within the caller's scope."""
    return await by_org(session, principal, Material, material_id, "material")


ScopedMaterial = Annotated[Material, Depends(load_material)]


def to_read(material: Material, state: AdminState) -> MaterialRead:
    """The material as the API shows it, with its file's public URL."""
    read = MaterialRead.model_validate(material)
    if not (material.storage_key and material.sha256):
        return read
    url = media_url(state.settings.short_link_base, material.sha256, material.format)
    return read.model_copy(update={"media_url": url})
