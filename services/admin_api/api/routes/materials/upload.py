"""Uploading image, voice and video files: streamed to shared storage, refused as soon as a
limit breaks (size and format while streaming, then a voice's duration)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import Query, Request

from libs.common.db.models import Material, utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.routes.materials.access import materials_router, to_read
from services.admin_api.api.schemas.materials import MaterialRead
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import LimitExceeded
from services.admin_api.media_limits import FORMATS, MAX_BYTES, VOICE_MAX_SECONDS, duration_s, sniff
from services.admin_api.repositories import rows

router = materials_router()


def refuse_unless(sniffed: tuple[str, str] | None, kind: str, *, final: bool) -> tuple[str, str]:
    """The sniffed ``(kind, format)`` if it is a supported ``kind``; else 422 ``<kind>_format``
    (before ``final``, only once the first bytes already name another format)."""
    if sniffed is not None and sniffed[0] == kind:
        return sniffed
    if not final and sniffed is None:
        # Too few bytes yet to tell (a BMP needs 14); judged again with more or at the end.
        return ("", "")
    allowed = FORMATS[kind]
    raise LimitExceeded(
        f"content is not a supported {kind} ({allowed})", limit=f"{kind}_format", allowed=allowed
    )


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
    limit = MAX_BYTES[kind]
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LimitExceeded(
            f"{kind} larger than {limit} bytes", limit=f"{kind}_max_bytes", max=limit
        )
    now = utcnow()
    key = f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"
    digest, size, head = hashlib.sha256(), 0, b""
    # A voice's duration needs all of it (≤ 5 MB, the limit is enforced while streaming).
    voice = bytearray()

    async def checked() -> AsyncIterator[bytes]:
        nonlocal size, head
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise LimitExceeded(
                    f"{kind} larger than {limit} bytes", limit=f"{kind}_max_bytes", max=limit
                )
            if len(head) < 64:
                head = (head + chunk)[:64]
                refuse_unless(sniff(head), kind, final=len(head) >= 64)
            digest.update(chunk)
            if kind == "voice":
                voice.extend(chunk)
            yield chunk

    # The bytes go to shared storage in this request's transaction: a refused upload (an
    # exception from here on) rolls back with everything it wrote.
    await state.materials.write(session, key, checked())
    sniffed = refuse_unless(sniff(head), kind, final=True)
    seconds = None
    if kind == "voice":
        seconds = await asyncio.to_thread(duration_s, bytes(voice), sniffed[1])
        if seconds is None:
            raise LimitExceeded(
                "cannot determine the voice duration",
                limit="voice_duration",
                max=VOICE_MAX_SECONDS,
            )
        if seconds > VOICE_MAX_SECONDS:
            raise LimitExceeded(
                f"voice lasts {seconds:.1f} s; at most {VOICE_MAX_SECONDS:.0f}",
                limit="voice_duration",
                max=VOICE_MAX_SECONDS,
            )
    material = Material(
        org_id=principal.org_id,
        author_id=principal.user_id,
        kind=kind,
        title=title or filename,
        filename=filename,
        format=sniffed[1],
        storage_key=key,
        size=size,
        sha256=digest.hexdigest(),
        duration_s=seconds,
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.upload", "material", material.id, after=snapshot(material)
    )
    return to_read(material, state)
