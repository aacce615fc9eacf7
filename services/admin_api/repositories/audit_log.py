"""Reading the audit log (entries are written by :func:`services.admin_api.audit.record`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import AuditEntry
from services.admin_api.listing import ListParams, order_by, paginate
from services.admin_api.scope import Principal

_SORT = {
    "id": AuditEntry.id,
    "at": AuditEntry.at,
    "action": AuditEntry.action,
    "username": AuditEntry.username,
}


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; ``None`` means any."""

    user_id: int | None = None
    action: str | None = None  # a prefix: "publication." matches every publication step
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def _visible(principal: Principal, flt: AuditFilter) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(principal.org_clause(AuditEntry.org_id))
    if not principal.is_head_office:
        # Anonymous entries (failed logins) carry no org; only the head office sees them.
        stmt = stmt.where(AuditEntry.org_id.is_not(None))
    if flt.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == flt.user_id)
    if flt.action:
        stmt = stmt.where(AuditEntry.action.startswith(flt.action))
    if flt.entity:
        stmt = stmt.where(AuditEntry.entity == flt.entity)
    if flt.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == flt.entity_id)
    if flt.since is not None:
        stmt = stmt.where(AuditEntry.at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(AuditEntry.at < flt.until)
    return stmt


async def list_entries(
    session: AsyncSession, *, principal: Principal, flt: AuditFilter, params: ListParams
) -> tuple[list[AuditEntry], int]:
    """One page of the entries of users in the caller's subtree, newest first by default."""
    return await paginate(
        session,
        _visible(principal, flt),
        params,
        sortable=_SORT,
        default_sort=[AuditEntry.id.desc()],
        search=[AuditEntry.username, AuditEntry.action],
    )


def stream_entries(
    sessions: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    flt: AuditFilter,
    sort: str | None,
) -> AsyncIterator[AuditEntry]:
    """Every matching entry, oldest first by default, read in batches in a session of its own
    (an export outlives the request's session). Unknown sort fields raise at once."""
    stmt = _visible(principal, flt).order_by(*order_by(sort, _SORT, [AuditEntry.id]))

    async def entries() -> AsyncIterator[AuditEntry]:
        async with sessions() as reader:
            result = await reader.stream_scalars(stmt.execution_options(yield_per=500))
            async for entry in result:
                yield entry

    return entries()


async def list_recent_failed_logins(
    session: AsyncSession,
    *,
    since: datetime,
    limit: int,
    ip: str | None = None,
    username: str | None = None,
) -> list[datetime]:
    """When the last ``limit`` failed logins from ``ip`` (or for ``username``) after ``since``
    happened, newest first (every replica records them here, so this is the shared count)."""
    stmt = select(AuditEntry.at).where(
        AuditEntry.action == "auth.login_failed", AuditEntry.at > since
    )
    if ip is not None:
        stmt = stmt.where(AuditEntry.ip == ip)
    if username is not None:
        stmt = stmt.where(AuditEntry.username == username)
    return list(await session.scalars(stmt.order_by(AuditEntry.at.desc()).limit(limit)))
