"""Uploading image, voice and video files: the body is streamed to shared storage by
:mod:`services.admin_api.material_upload`, which checks its limits on the way."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request

from libs.common.db.models import Material
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.materials.access import materials_router, to_read
from services.admin_api.api.schemas.materials import MaterialRead
from services.admin_api.audit import record, snapshot
from services.admin_api.material_upload import receive_file
from services.admin_api.repositories import rows

router = materials_router()

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "文件内容（原始字节流） · the file's raw bytes",
    }
}


@router.post(
    "/upload",
    response_model=MaterialRead,
    status_code=201,
    dependencies=[Perm("material.edit")],
    openapi_extra=_UPLOAD_BODY,
    summary="上传图片/语音/视频 · upload image, voice or video",
)
async def upload_file(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    kind: Annotated[Literal["image", "voice", "video"], Query(description="类型 · kind")],
    filename: Annotated[str, Query(min_length=1, max_length=256, description="文件名 · file name")],
    title: Annotated[str, Query(max_length=256, description="标题 · title")] = "",
) -> MaterialRead:
    """Stream the body to shared storage, refusing it as soon as it passes the size limit; then
    check the format by content (and a voice's duration). 422 names the broken limit."""
    received = await receive_file(
        session,
        state.materials,
        request.stream(),
        kind=kind,
        declared_length=request.headers.get("content-length"),
    )
    material = Material(
        org_id=principal.org_id,
        author_id=principal.user_id,
        kind=kind,
        title=title or filename,
        filename=filename,
        format=received.format,
        storage_key=received.storage_key,
        size=received.size,
        sha256=received.sha256,
        duration_s=received.duration_s,
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.upload", "material", material.id, after=snapshot(material)
    )
    return to_read(material, state)
