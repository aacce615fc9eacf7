"""Material library (素材库, R-AD-5): text, news, and image/voice/video files streamed to shared
storage (``libs/common/material_storage.py``, readable by every replica) with limits checked on
content (size and format while streaming, then a voice's duration)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from libs.common.db.models import Material, utcnow
from libs.common.material_storage import media_type, media_url
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict, FieldError, FieldErrors, LimitExceeded, NotFound
from services.admin_api.listing import ListQuery, Page
from services.admin_api.media_limits import (
    FORMATS,
    MAX_BYTES,
    NEWS_MAX_CHARS,
    TEXT_MAX_CHARS,
    VOICE_MAX_SECONDS,
    duration_s,
    sniff,
)
from services.admin_api.repositories import materials, rows
from services.admin_api.scope import Principal, by_org, org_in_scope
from services.admin_api.state import AdminState

router = APIRouter(prefix="/api/v1/materials", tags=["materials 素材库"])


class Article(BaseModel):
    """One article of a news item (图文)."""

    title: str = Field(min_length=1, max_length=64, description="标题 · title")
    author: str = Field("", max_length=16, description="作者 · author")
    digest: str = Field("", max_length=120, description="摘要 · digest")
    content: str = Field(min_length=1, description="正文（HTML） · body (HTML)")
    cover_material_id: int = Field(
        ge=1, le=MAX_ID, description="封面图片素材 ID · cover image material id"
    )
    content_source_url: str = Field("", max_length=1024, description="原文链接 · source URL")


class TextCreate(WriteModel):
    """A text material."""

    title: str = Field("", max_length=256, description="标题 · title")
    text: str = Field(min_length=1, description="文本（≤ 600 字） · text (≤ 600 characters)")
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属机构 · owning org")


class NewsCreate(WriteModel):
    """A news material (1-8 articles, ≤ 20,000 characters in total)."""

    title: str = Field("", max_length=256, description="标题 · title")
    articles: list[Article] = Field(min_length=1, max_length=8, description="文章 · articles")
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属机构 · owning org")


class MaterialUpdate(WriteModel):
    """Changes to a material (text/articles only for their kinds)."""

    title: str | None = Field(None, max_length=256, description="标题 · title")
    text: str | None = Field(None, min_length=1, description="文本 · text")
    articles: list[Article] | None = Field(
        None, min_length=1, max_length=8, description="文章 · articles"
    )


class MaterialRead(ReadModel):
    """A material (files are fetched from ``/materials/{id}/file``)."""

    id: int = Field(description="ID · id")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · org")
    author_id: int | None = Field(ge=1, le=MAX_ID, description="作者 · author")
    kind: str = Field(description="类型 text/image/voice/video/news · kind")
    title: str = Field(description="标题 · title")
    text: str = Field(description="文本 · text")
    articles: list[dict[str, Any]] = Field(description="文章 · articles")
    filename: str = Field(description="原文件名 · original file name")
    format: str = Field(description="格式（按内容识别） · format (sniffed)")
    size: int = Field(description="字节数 · size in bytes")
    sha256: str = Field(description="SHA-256")
    duration_s: float | None = Field(description="时长（秒） · duration in seconds")
    created_at: datetime = Field(description="创建时间 · created at")
    media_url: str | None = Field(
        None,
        description="公开地址（展现服务，长期缓存） · public URL on the presentation routes "
        "(cached for good; image and voice files only)",
    )


def _read(material: Material, state: AdminState) -> MaterialRead:
    """The material as the API shows it, with its file's public URL."""
    read = MaterialRead.model_validate(material)
    if not (material.storage_key and material.sha256):
        return read
    url = media_url(state.settings.short_link_base, material.sha256, material.format)
    return read.model_copy(update={"media_url": url})


def check_text(text: str) -> None:
    """Text materials are at most 600 characters."""
    if len(text) > TEXT_MAX_CHARS:
        raise LimitExceeded(
            f"text is {len(text)} characters; at most {TEXT_MAX_CHARS}",
            limit="text_max_chars",
            field_name="body.text",
            max=TEXT_MAX_CHARS,
        )


async def check_articles(
    session: SessionDep, principal: Principal, articles: list[Article]
) -> list[dict[str, Any]]:
    """News totals ≤ 20,000 characters; every cover is an image material the caller sees."""
    total = sum(len(a.title) + len(a.digest) + len(a.content) for a in articles)
    if total > NEWS_MAX_CHARS:
        raise LimitExceeded(
            f"news is {total} characters; at most {NEWS_MAX_CHARS}",
            limit="news_max_chars",
            field_name="body.articles",
            max=NEWS_MAX_CHARS,
        )
    for i, article in enumerate(articles):
        cover = await rows.get(session, Material, article.cover_material_id)
        if cover is None or cover.kind != "image":
            raise FieldErrors(
                "cover must be an image material",
                [
                    FieldError(
                        f"body.articles[{i}].cover_material_id", "not an image material", "cover"
                    )
                ],
            )
        await by_org(session, principal, Material, cover.id, "material")
    return [a.model_dump() for a in articles]


async def load_material(
    material_id: IdPath, principal: CurrentUser, session: SessionDep
) -> Material:
    """The material in the path, within the caller's scope."""
    return await by_org(session, principal, Material, material_id, "material")


ScopedMaterial = Annotated[Material, Depends(load_material)]


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
    return Page[MaterialRead](
        items=[_read(m, state) for m in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.post(
    "/text",
    response_model=MaterialRead,
    status_code=201,
    dependencies=[Perm("material.edit")],
    summary="新建文本素材 · create text",
)
async def create_text(
    body: TextCreate, principal: CurrentUser, session: SessionDep
) -> MaterialRead:
    """A text material (≤ 600 characters)."""
    check_text(body.text)
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    material = Material(
        org_id=org_id,
        author_id=principal.user_id,
        kind="text",
        title=body.title,
        text=body.text,
        size=len(body.text.encode()),
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.create", "material", material.id, after=snapshot(material)
    )
    return MaterialRead.model_validate(material)


@router.post(
    "/news",
    response_model=MaterialRead,
    status_code=201,
    dependencies=[Perm("material.edit")],
    summary="新建图文素材 · create news",
)
async def create_news(
    body: NewsCreate, principal: CurrentUser, session: SessionDep
) -> MaterialRead:
    """A news material: articles with cover images, ≤ 20,000 characters."""
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    articles = await check_articles(session, principal, body.articles)
    material = Material(
        org_id=org_id,
        author_id=principal.user_id,
        kind="news",
        title=body.title or body.articles[0].title,
        articles=articles,
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.create", "material", material.id, after=snapshot(material)
    )
    return MaterialRead.model_validate(material)


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
    return _read(material, state)


@router.get(
    "/{material_id}",
    response_model=MaterialRead,
    dependencies=[Perm("material.read")],
    summary="素材详情 · get material",
)
async def get_material(material: ScopedMaterial, state: StateDep) -> MaterialRead:
    """One material."""
    return _read(material, state)


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
    return _read(material, state)


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


def content_disposition(filename: str) -> str:
    """An attachment header carrying a (possibly Chinese) file name (RFC 6266 / 5987)."""
    return f"attachment; filename*=utf-8''{quote(filename)}"
