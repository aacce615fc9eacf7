"""One convention for every list endpoint: ``page``/``page_size``, ``sort`` and ``q``.

``sort`` is a comma-separated list of field names, each optionally prefixed by ``-`` for
descending order (``sort=-created_at,name``); unknown fields are a 422 naming the allowed ones.
``q`` is a case-insensitive substring search over the resource's text columns. Other filters
are plain query parameters named after the field (``?account_id=1&enabled=true``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin_api.errors import FieldError, FieldErrors

T = TypeVar("T")


@dataclass(frozen=True)
class ListParams:
    """Paging, sorting and free-text search of a list request."""

    page: int
    page_size: int
    sort: str | None
    q: str | None


async def list_params(
    page: Annotated[
        int, Query(ge=1, le=100_000, description="页码（从 1 开始） · page number")
    ] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=200, description="每页条数（1-200） · items per page")
    ] = 20,
    sort: Annotated[
        str | None,
        Query(
            max_length=200,
            description="排序字段，逗号分隔，前缀 - 表示降序 · sort fields, comma-separated, "
            "'-' prefix for descending",
        ),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="关键字搜索 · free-text search")
    ] = None,
) -> ListParams:
    """Read the list convention's query parameters."""
    return ListParams(page=page, page_size=page_size, sort=sort, q=q or None)


ListQuery = Annotated[ListParams, Depends(list_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T] = Field(description="本页数据 · items of this page")
    total: int = Field(description="总条数 · total matching items")
    page: int = Field(description="页码 · page number")
    page_size: int = Field(description="每页条数 · page size")

    @classmethod
    def of(cls, items: list[T], total: int, params: ListParams) -> Self:
        """The page ``params`` asked for: ``items`` out of ``total`` matching ones."""
        return cls(items=items, total=total, page=params.page, page_size=params.page_size)


def order_by(sort: str | None, sortable: Mapping[str, Any], default: Sequence[Any]) -> list[Any]:
    """ORDER BY clauses for ``sort``; raises :class:`FieldErrors` for unknown fields."""
    if not sort:
        return list(default)
    clauses: list[Any] = []
    for raw in sort.split(","):
        name = raw.strip()
        descending = name.startswith("-")
        name = name.lstrip("-+")
        if name not in sortable:
            allowed = ", ".join(sorted(sortable))
            raise FieldErrors(
                f"cannot sort by {name!r}; allowed: {allowed}",
                [FieldError("query.sort", f"unknown sort field {name!r}", "invalid_sort")],
            )
        column = sortable[name]
        clauses.append(column.desc() if descending else column.asc())
    return [*clauses, *default]


LIKE_ESCAPE = "!"


def contains_pattern(needle: str) -> str:
    """A LIKE pattern matching ``needle`` anywhere, its own ``%`` and ``_`` taken literally.

    Use with ``escape=LIKE_ESCAPE`` (the same on SQLite and PostgreSQL).
    """
    escaped = needle.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    params: ListParams,
    *,
    sortable: Mapping[str, Any],
    default_sort: Sequence[Any],
    search: Sequence[Any] = (),
) -> tuple[list[Any], int]:
    """Apply search, count, sort and page ``stmt`` (a select of one entity)."""
    if params.q and search:
        pattern = contains_pattern(params.q.lower())
        conditions: list[ColumnElement[bool]] = [
            func.lower(c).like(pattern, escape=LIKE_ESCAPE) for c in search
        ]
        stmt = stmt.where(or_(*conditions))
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = stmt.order_by(*order_by(params.sort, sortable, default_sort))
    stmt = stmt.offset((params.page - 1) * params.page_size).limit(params.page_size)
    items = list((await session.scalars(stmt)).all())
    return items, int(total or 0)
