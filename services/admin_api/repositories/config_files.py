"""Versioned configuration documents: the current content plus every version with its diff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import ConfigDocument, ConfigVersion
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal


async def list_documents(
    session: AsyncSession, *, principal: Principal, params: ListParams
) -> tuple[list[ConfigDocument], int]:
    """One page of the documents of the caller's subtree."""
    return await paginate(
        session,
        select(ConfigDocument).where(principal.org_clause(ConfigDocument.org_id)),
        params,
        default_sort=[ConfigDocument.id],
        sortable={
            "id": ConfigDocument.id,
            "name": ConfigDocument.name,
            "updated_at": ConfigDocument.updated_at,
        },
        search=[ConfigDocument.name, ConfigDocument.description],
    )


async def exists_named(session: AsyncSession, *, name: str) -> bool:
    """Whether a document with this name exists (names are unique across organisations)."""
    return bool(await session.scalar(select(ConfigDocument.id).where(ConfigDocument.name == name)))


async def list_versions(
    session: AsyncSession, *, document_id: int, params: ListParams
) -> tuple[list[ConfigVersion], int]:
    """One page of a document's versions, newest first by default."""
    return await paginate(
        session,
        select(ConfigVersion).where(ConfigVersion.document_id == document_id),
        params,
        default_sort=[ConfigVersion.version.desc()],
        sortable={"version": ConfigVersion.version, "created_at": ConfigVersion.created_at},
        search=[ConfigVersion.comment, ConfigVersion.author_name],
    )


async def get_version(
    session: AsyncSession, *, document_id: int, version: int
) -> ConfigVersion | None:
    """One version of a document, if it exists."""
    return await session.scalar(
        select(ConfigVersion).where(
            ConfigVersion.document_id == document_id, ConfigVersion.version == version
        )
    )
