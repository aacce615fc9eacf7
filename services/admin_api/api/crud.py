"""Routes for account-owned configuration tables (commands, menu actions, locations, reminder
types): list/create/get/update/delete with the same permissions, scope, audit and list convention.

Handlers are built per resource, so their signatures are assembled explicitly
(``__signature__``) for FastAPI to read real types rather than postponed annotations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath
from services.admin_api.audit import record, snapshot
from services.admin_api.listing import ListQuery, Page, paginate
from services.admin_api.scope import Principal, account_in_scope, by_account


@dataclass
class AccountResource:
    """How one account-owned table is exposed."""

    path: str
    entity: str
    label: str
    model: type[Any]
    create: type[BaseModel]
    update: type[BaseModel]
    read: type[BaseModel]
    read_perm: str
    edit_perm: str
    sortable: Mapping[str, Any]
    search: list[Any]
    filters: Mapping[str, tuple[Any, Any, str]] = field(default_factory=dict)
    check: Callable[[dict[str, Any]], None] | None = None


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def mount(router: APIRouter, res: AccountResource) -> None:
    """Register the five routes of ``res`` on ``router``."""
    id_name = f"{res.entity}_id"
    item_path = f"{res.path}/{{{id_name}}}"
    tag: list[str | Enum] = [res.label]
    model, read = res.model, res.read

    async def load(principal: Principal, session: AsyncSession, object_id: int) -> Any:
        return await by_account(session, principal, model, object_id, res.entity)

    async def list_items(**kw: Any) -> Any:
        principal, session, params = kw["principal"], kw["session"], kw["params"]
        stmt = select(model).where(await principal.account_clause(session, model.account_id))
        if kw.get("account_id") is not None:
            stmt = stmt.where(model.account_id == kw["account_id"])
        for name, (_, column, _) in res.filters.items():
            if kw.get(name) is not None:
                stmt = stmt.where(column == kw[name])
        items, total = await paginate(
            session, stmt, params, sortable=res.sortable, default_sort=[model.id], search=res.search
        )
        return Page[read](  # type: ignore[valid-type]
            items=[read.model_validate(i) for i in items],
            total=total,
            page=params.page,
            page_size=params.page_size,
        )

    list_params = [
        _param("principal", CurrentUser),
        _param("session", SessionDep),
        _param("params", ListQuery),
        _param(
            "account_id",
            Annotated[int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")],
            None,
        ),
    ] + [
        _param(name, Annotated[typ | None, Query(description=desc)], None)
        for name, (typ, _, desc) in res.filters.items()
    ]
    list_items.__signature__ = inspect.Signature(list_params)  # type: ignore[attr-defined]
    list_items.__doc__ = f"List {res.entity} rows of the accounts the caller sees."
    router.add_api_route(
        res.path,
        list_items,
        methods=["GET"],
        response_model=Page[read],  # type: ignore[valid-type]
        dependencies=[Perm(res.read_perm)],
        tags=tag,
        summary=f"列表 · list {res.entity}",
        name=f"list_{res.entity}",
    )

    async def create_item(**kw: Any) -> Any:
        principal, session, body = kw["principal"], kw["session"], kw["body"]
        data = body.model_dump()
        await account_in_scope(session, principal, data["account_id"])
        if res.check:
            res.check(data)
        obj = model(**data)
        session.add(obj)
        await session.flush()
        await record(
            session, principal, f"{res.entity}.create", res.entity, obj.id, after=snapshot(obj)
        )
        return read.model_validate(obj)

    create_item.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            _param("principal", CurrentUser),
            _param("session", SessionDep),
            _param("body", res.create),
        ]
    )
    create_item.__doc__ = f"Create a {res.entity} for an account the caller sees."
    router.add_api_route(
        res.path,
        create_item,
        methods=["POST"],
        status_code=201,
        response_model=read,
        dependencies=[Perm(res.edit_perm)],
        tags=tag,
        summary=f"新建 · create {res.entity}",
        name=f"create_{res.entity}",
    )

    async def get_loaded(**kw: Any) -> Any:
        return await load(kw["principal"], kw["session"], kw[id_name])

    item_id = IdPath
    get_loaded.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_param(id_name, item_id), _param("principal", CurrentUser), _param("session", SessionDep)]
    )
    loaded = Annotated[Any, Depends(get_loaded)]

    async def get_item(**kw: Any) -> Any:
        return read.model_validate(kw["obj"])

    get_item.__signature__ = inspect.Signature([_param("obj", loaded)])  # type: ignore[attr-defined]
    get_item.__doc__ = f"One {res.entity}."
    router.add_api_route(
        item_path,
        get_item,
        methods=["GET"],
        response_model=read,
        dependencies=[Perm(res.read_perm)],
        tags=tag,
        summary=f"详情 · get {res.entity}",
        name=f"get_{res.entity}",
    )

    async def update_item(**kw: Any) -> Any:
        obj, principal, session, body = kw["obj"], kw["principal"], kw["session"], kw["body"]
        before = snapshot(obj)
        changes = body.model_dump(exclude_unset=True)
        if res.check:
            # The hook sees the whole resulting row and may normalise it in place.
            merged = {**(before or {}), **changes}
            res.check(merged)
            changes = {key: merged[key] for key in changes}
        for key, value in changes.items():
            setattr(obj, key, value)
        await session.flush()
        await record(
            session,
            principal,
            f"{res.entity}.update",
            res.entity,
            obj.id,
            before=before,
            after=snapshot(obj),
        )
        return read.model_validate(obj)

    update_item.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            _param("obj", loaded),
            _param("principal", CurrentUser),
            _param("session", SessionDep),
            _param("body", res.update),
        ]
    )
    update_item.__doc__ = f"Change a {res.entity}; takes effect without a restart."
    router.add_api_route(
        item_path,
        update_item,
        methods=["PATCH"],
        response_model=read,
        dependencies=[Perm(res.edit_perm)],
        tags=tag,
        summary=f"修改 · update {res.entity}",
        name=f"update_{res.entity}",
    )

    async def delete_item(**kw: Any) -> Any:
        obj, principal, session = kw["obj"], kw["principal"], kw["session"]
        before = snapshot(obj)
        await session.delete(obj)
        await session.flush()
        await record(session, principal, f"{res.entity}.delete", res.entity, obj.id, before=before)
        return Deleted(id=str(obj.id))

    delete_item.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_param("obj", loaded), _param("principal", CurrentUser), _param("session", SessionDep)]
    )
    delete_item.__doc__ = f"Delete a {res.entity}."
    router.add_api_route(
        item_path,
        delete_item,
        methods=["DELETE"],
        response_model=Deleted,
        dependencies=[Perm(res.edit_perm)],
        tags=tag,
        summary=f"删除 · delete {res.entity}",
        name=f"delete_{res.entity}",
    )


__all__ = ["AccountResource", "SessionDep", "mount"]
