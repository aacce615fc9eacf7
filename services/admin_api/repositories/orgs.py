"""Organisations: the head office, its branches and sub-branches, kept as materialised paths."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AdminUser, Org
from services.admin_api.listing import ListParams, paginate
from services.admin_api.scope import Principal

_SORT = {"id": Org.id, "code": Org.code, "name": Org.name, "path": Org.path}


async def list_orgs(
    session: AsyncSession, *, principal: Principal, params: ListParams, parent_id: int | None
) -> tuple[list[Org], int]:
    """One page of the organisations in the caller's subtree."""
    stmt = select(Org).where(principal.org_clause(Org.id))
    if parent_id is not None:
        stmt = stmt.where(Org.parent_id == parent_id)
    return await paginate(
        session, stmt, params, sortable=_SORT, default_sort=[Org.path], search=[Org.name, Org.code]
    )


async def list_visible(session: AsyncSession, *, principal: Principal) -> list[Org]:
    """Every organisation of the caller's subtree, parents before children."""
    stmt = select(Org).where(principal.org_clause(Org.id)).order_by(Org.path)
    return list((await session.scalars(stmt)).all())


async def create(session: AsyncSession, *, parent: Org, code: str, name: str) -> Org:
    """A new organisation below ``parent`` (its path needs its id, hence two flushes)."""
    org = Org(code=code, name=name, parent_id=parent.id, path="/")
    session.add(org)
    await session.flush()
    org.path = f"{parent.path}{org.id}/"
    await session.flush()
    return org


async def is_in_use(session: AsyncSession, *, org_id: int) -> bool:
    """Whether the organisation still has sub-organisations or users."""
    return bool(
        await session.scalar(select(exists().where(Org.parent_id == org_id)))
        or await session.scalar(select(exists().where(AdminUser.org_id == org_id)))
    )


async def lock_tree(session: AsyncSession) -> None:
    """Lock the root row until the transaction ends: tree moves are serialised on it."""
    await session.execute(select(Org.id).where(Org.parent_id.is_(None)).with_for_update())


async def list_subtree(session: AsyncSession, *, path: str) -> list[Org]:
    """The organisation at ``path`` and all its descendants."""
    return list(await session.scalars(select(Org).where(Org.path.startswith(path))))
