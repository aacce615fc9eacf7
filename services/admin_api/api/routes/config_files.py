"""Config files (配置文件管理, R-AD-9): every save a new version with author and diff; rollback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from libs.common.db.models import ConfigDocument, ConfigVersion
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, ReadModel, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.config_docs import check_syntax, unified_diff
from services.admin_api.errors import Conflict, NotFound
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import config_files, rows
from services.admin_api.scope import Principal, by_org, org_in_scope

router = APIRouter(prefix="/api/v1/config-files", tags=["config 配置文件"])

MAX_CONTENT = 1_000_000


class ConfigCreate(WriteModel):
    """A new config document (version 1)."""

    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_./-]+$",
        description="文件名 · document name",
    )
    format: Literal["yaml", "json"] = Field(description="格式 · format")
    content: str = Field(max_length=MAX_CONTENT, description="内容 · content")
    description: str = Field("", max_length=1000, description="说明 · description")
    comment: str = Field("", max_length=1000, description="本次修改说明 · change comment")
    org_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="所属机构（默认本机构） · owning org"
    )


class ConfigSave(WriteModel):
    """New content: becomes the next version."""

    content: str = Field(max_length=MAX_CONTENT, description="内容 · content")
    comment: str = Field("", max_length=1000, description="本次修改说明 · change comment")


class Rollback(WriteModel):
    """Make an old version current again (as a new version)."""

    version: int = Field(ge=1, le=MAX_ID, description="回滚到的版本 · version to restore")
    comment: str = Field("", max_length=1000, description="说明 · comment")


class ConfigRead(ReadModel):
    """A config document with its current content."""

    id: int = Field(description="ID · id")
    name: str = Field(description="文件名 · name")
    format: str = Field(description="格式 · format")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · org")
    description: str = Field(description="说明 · description")
    current_version: int = Field(description="当前版本 · current version")
    content: str = Field(description="当前内容 · current content")
    updated_at: datetime = Field(description="更新时间 · updated at")


class VersionRead(ReadModel):
    """One version, with the diff from the version before it."""

    version: int = Field(description="版本号 · version")
    content: str = Field(description="内容 · content")
    diff: str = Field(description="与上一版本的差异 · unified diff from previous")
    comment: str = Field(description="说明 · comment")
    author_id: int | None = Field(ge=1, le=MAX_ID, description="作者 ID · author id")
    author_name: str = Field(description="作者 · author")
    created_at: datetime = Field(description="时间 · created at")


async def load_document(
    document_id: IdPath, principal: CurrentUser, session: SessionDep
) -> ConfigDocument:
    """The document in the path, within the caller's scope."""
    return await by_org(session, principal, ConfigDocument, document_id, "config file")


ScopedDocument = Annotated[ConfigDocument, Depends(load_document)]


async def _new_version(
    session: SessionDep, principal: Principal, doc: ConfigDocument, content: str, comment: str
) -> ConfigVersion:
    old_version = doc.current_version if doc.id else 0
    version = ConfigVersion(
        document_id=doc.id,
        version=old_version + 1,
        content=content,
        comment=comment,
        diff=unified_diff(
            doc.content if old_version else "",
            content,
            f"{doc.name}@{old_version}",
            f"{doc.name}@{old_version + 1}",
        ),
        author_id=principal.user_id,
        author_name=principal.username,
    )
    await rows.add(session, version)
    await rows.update(session, doc, {"content": content, "current_version": old_version + 1})
    return version


@router.get(
    "",
    response_model=Page[ConfigRead],
    dependencies=[Perm("config.read")],
    summary="配置文件列表 · list config files",
)
async def list_documents(
    principal: CurrentUser, session: SessionDep, params: ListQuery
) -> Page[ConfigRead]:
    """Config documents of the caller's subtree."""
    items, total = await config_files.list_documents(session, principal=principal, params=params)
    return Page[ConfigRead].of([ConfigRead.model_validate(d) for d in items], total, params)


@router.post(
    "",
    response_model=ConfigRead,
    status_code=201,
    dependencies=[Perm("config.edit")],
    summary="新建配置文件 · create config file",
)
async def create_document(
    body: ConfigCreate, principal: CurrentUser, session: SessionDep
) -> ConfigRead:
    """Create a document; its content must parse as the declared format."""
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    check_syntax(body.format, body.content)
    if await config_files.exists_named(session, name=body.name):
        raise Conflict(f"config file {body.name!r} exists")
    doc = await rows.add(
        session,
        ConfigDocument(
            name=body.name,
            format=body.format,
            org_id=org_id,
            description=body.description,
            current_version=0,
            content="",
        ),
    )
    await _new_version(session, principal, doc, body.content, body.comment)
    await record(session, principal, "config.create", "config_file", doc.id, after=snapshot(doc))
    return ConfigRead.model_validate(doc)


@router.get(
    "/{document_id}",
    response_model=ConfigRead,
    dependencies=[Perm("config.read")],
    summary="配置文件详情 · get config file",
)
async def get_document(doc: ScopedDocument) -> ConfigRead:
    """The current version."""
    return ConfigRead.model_validate(doc)


@router.put(
    "/{document_id}",
    response_model=ConfigRead,
    dependencies=[Perm("config.edit")],
    summary="保存新版本 · save new version",
)
async def save_document(
    doc: ScopedDocument, body: ConfigSave, principal: CurrentUser, session: SessionDep
) -> ConfigRead:
    """Save new content as the next version (identical content is refused)."""
    check_syntax(doc.format, body.content)
    if body.content == doc.content:
        raise Conflict("content unchanged; no new version")
    before = snapshot(doc)
    await _new_version(session, principal, doc, body.content, body.comment)
    await record(
        session, principal, "config.save", "config_file", doc.id, before=before, after=snapshot(doc)
    )
    return ConfigRead.model_validate(doc)


@router.get(
    "/{document_id}/versions",
    response_model=Page[VersionRead],
    dependencies=[Perm("config.read")],
    summary="版本历史 · version history",
)
async def list_versions(
    doc: ScopedDocument, session: SessionDep, params: ListQuery
) -> Page[VersionRead]:
    """Every version, newest first by default."""
    items, total = await config_files.list_versions(session, document_id=doc.id, params=params)
    return Page[VersionRead].of([VersionRead.model_validate(v) for v in items], total, params)


@router.get(
    "/{document_id}/versions/{version}",
    response_model=VersionRead,
    dependencies=[Perm("config.read")],
    summary="版本详情 · get version",
)
async def get_version(
    doc: ScopedDocument,
    version: Annotated[int, Path(ge=1, le=1_000_000, description="版本号 · version")],
    session: SessionDep,
) -> VersionRead:
    """One version with its diff."""
    row = await config_files.get_version(session, document_id=doc.id, version=version)
    if row is None:
        raise NotFound(f"version {version} not found")
    return VersionRead.model_validate(row)


@router.post(
    "/{document_id}/rollback",
    response_model=ConfigRead,
    dependencies=[Perm("config.edit")],
    summary="回滚 · roll back",
)
async def rollback(
    doc: ScopedDocument, body: Rollback, principal: CurrentUser, session: SessionDep
) -> ConfigRead:
    """Restore an old version's content as a new version (history is never rewritten)."""
    old = await config_files.get_version(session, document_id=doc.id, version=body.version)
    if old is None:
        raise NotFound(f"version {body.version} not found")
    if old.content == doc.content:
        raise Conflict("that version is already the current content")
    before = snapshot(doc)
    comment = body.comment or f"rollback to version {body.version}"
    await _new_version(session, principal, doc, old.content, comment)
    await record(
        session,
        principal,
        "config.rollback",
        "config_file",
        doc.id,
        before=before,
        after=snapshot(doc),
    )
    return ConfigRead.model_validate(doc)


@router.delete(
    "/{document_id}",
    response_model=Deleted,
    dependencies=[Perm("config.edit")],
    summary="删除配置文件 · delete config file",
)
async def delete_document(
    doc: ScopedDocument, principal: CurrentUser, session: SessionDep
) -> Deleted:
    """Delete a document and its history."""
    before = snapshot(doc)
    await rows.delete(session, doc)
    await record(session, principal, "config.delete", "config_file", doc.id, before=before)
    return Deleted(id=str(doc.id))
