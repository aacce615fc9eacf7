"""Downloading a material's stored file, streamed from shared storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from libs.common.material_storage import media_type
from services.admin_api.api.deps import Perm, SessionDep, StateDep
from services.admin_api.api.routes.materials.access import ScopedMaterial, materials_router
from services.admin_api.errors import NotFound

router = materials_router()


@router.get(
    "/{material_id}/file",
    dependencies=[Perm("material.read")],
    response_class=StreamingResponse,
    summary="下载素材文件 · download file",
)
async def download_material(
    material: ScopedMaterial, session: SessionDep, state: StateDep
) -> StreamingResponse:
    """The stored file of an image, voice or video material, streamed from shared storage."""
    key = material.storage_key
    if not key:
        raise NotFound("this material has no file")
    if not await state.materials.exists(session, key):
        raise NotFound("file missing from storage")
    media = media_type(material.format)

    async def body() -> AsyncIterator[bytes]:
        # A session of its own: the request's may be closed before the body is sent.
        async with state.sessions() as reading:
            async for chunk in state.materials.read(reading, key):
                yield chunk

    headers = {"Content-Length": str(material.size)}
    if material.filename:
        headers["Content-Disposition"] = content_disposition(material.filename)
    return StreamingResponse(body(), media_type=media, headers=headers)


def content_disposition(filename: str) -> str:
    """An attachment header carrying a (possibly Chinese) file name (RFC 6266 / 5987)."""
    return f"attachment; filename*=utf-8''{quote(filename)}"
