"""The route factory of the account-owned configuration tables (commands, menu actions,
locations, reminder types): :func:`mount` registers list/create/get/update/delete for one
:class:`AccountResource`, with the same permissions, scope, audit and list convention; the rows
are listed through :mod:`services.admin_api.repositories.account_owned`.

Handlers are built per resource, so their signatures are assembled explicitly
(``__signature__``) for FastAPI to read real types rather than postponed annotations.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath
from services.admin_api.audit import record, snapshot
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import account_owned, rows
from services.admin_api.scope import Principal, account_in_scope, by_account
from services.admin_api.state import AdminState


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
    # Checks a row before it is written (given the process state); raises FieldErrors.
    check: Callable[[dict[str, Any], AdminState], None] | None = None
    # Checks a row against stored ones (the material a reply names) before it is written; may
    # normalise it in place; raises FieldErrors.
    verify: Callable[[dict[str, Any], AsyncSession, Principal], Awaitable[None]] | None = None


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def mount(router: APIRouter, res: AccountResource) -> None:
    """Register the five routes of ``res`` on ``router``."""
    id_name = f"{res.entity}_id"
    item_path = f"{res.path}/{{{id_name}}}"
    model, read = res.model, res.read
    tags: list[str | Enum] = [res.label]

    def add(
        path: str,
        handler: Callable[..., Awaitable[Any]],
        params: list[inspect.Parameter],
        *,
        method: str,
        perm: str,
        verb: str,
        doc: str,
        response_model: Any,
        status_code: int | None = None,
    ) -> None:
        # FastAPI reads the assembled signature, not the handler's ``**kw``.
        handler.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        handler.__doc__ = doc
        router.add_api_route(
            path,
            handler,
            methods=[method],
            status_code=status_code,
            response_model=response_model,
            dependencies=[Perm(perm)],
            tags=tags,
            summary=f"{verb} {res.entity}",
            name=f"{verb.split()[-1]}_{res.entity}",
        )

    async def get_loaded(**kw: Any) -> Any:
        return await by_account(kw["session"], kw["principal"], model, kw[id_name], res.entity)

    get_loaded.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_param(id_name, IdPath), _param("principal", CurrentUser), _param("session", SessionDep)]
    )
    loaded = _param("obj", Annotated[Any, Depends(get_loaded)])
    principal_session = [_param("principal", CurrentUser), _param("session", SessionDep)]

    async def list_items(**kw: Any) -> Any:
        principal, session, params = kw["principal"], kw["session"], kw["params"]
        items, total = await account_owned.list_rows(
            session,
            model=model,
            principal=principal,
            params=params,
            account_id=kw.get("account_id"),
            filters={column: kw.get(name) for name, (_, column, _) in res.filters.items()},
            sortable=res.sortable,
            search=res.search,
        )
        return Page[read].of(  # type: ignore[valid-type]
            [read.model_validate(i) for i in items], total, params
        )

    account_filter = Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")
    ]
    add(
        res.path,
        list_items,
        [
            *principal_session,
            _param("params", ListQuery),
            _param("account_id", account_filter, None),
            *(
                _param(name, Annotated[typ | None, Query(description=desc)], None)
                for name, (typ, _, desc) in res.filters.items()
            ),
        ],
        method="GET",
        perm=res.read_perm,
        verb="列表 · list",
        doc=f"List {res.entity} rows of the accounts the caller sees.",
        response_model=Page[read],  # type: ignore[valid-type]
    )

    async def create_item(**kw: Any) -> Any:
        principal, session, body = kw["principal"], kw["session"], kw["body"]
        data = body.model_dump()
        await account_in_scope(session, principal, data["account_id"])
        if res.check:
            res.check(data, kw["state"])
        if res.verify:
            await res.verify(data, session, principal)
        obj = await rows.add(session, model(**data))
        await record(
            session, principal, f"{res.entity}.create", res.entity, obj.id, after=snapshot(obj)
        )
        return read.model_validate(obj)

    add(
        res.path,
        create_item,
        [*principal_session, _param("body", res.create), _param("state", StateDep)],
        method="POST",
        perm=res.edit_perm,
        verb="新建 · create",
        doc=f"Create a {res.entity} for an account the caller sees.",
        response_model=read,
        status_code=201,
    )

    async def get_item(**kw: Any) -> Any:
        return read.model_validate(kw["obj"])

    add(
        item_path,
        get_item,
        [loaded],
        method="GET",
        perm=res.read_perm,
        verb="详情 · get",
        doc=f"One {res.entity}.",
        response_model=read,
    )

    async def update_item(**kw: Any) -> Any:
        obj, principal, session, body = kw["obj"], kw["principal"], kw["session"], kw["body"]
        before = snapshot(obj)
        changes = body.model_dump(exclude_unset=True)
        if res.check or res.verify:
            # The hooks see the whole resulting row and may normalise it in place.
            merged = {**(before or {}), **changes}
            if res.check:
                res.check(merged, kw["state"])
            if res.verify:
                await res.verify(merged, session, principal)
            changes = {key: merged[key] for key in changes}
        await rows.update(session, obj, changes)
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

    add(
        item_path,
        update_item,
        [loaded, *principal_session, _param("body", res.update), _param("state", StateDep)],
        method="PATCH",
        perm=res.edit_perm,
        verb="修改 · update",
        doc=f"Change a {res.entity}; takes effect without a restart.",
        response_model=read,
    )

    async def delete_item(**kw: Any) -> Any:
        obj, principal, session = kw["obj"], kw["principal"], kw["session"]
        before = snapshot(obj)
        await rows.delete(session, obj)
        await record(session, principal, f"{res.entity}.delete", res.entity, obj.id, before=before)
        return Deleted(id=str(obj.id))

    add(
        item_path,
        delete_item,
        [loaded, *principal_session],
        method="DELETE",
        perm=res.edit_perm,
        verb="删除 · delete",
        doc=f"Delete a {res.entity}.",
        response_model=Deleted,
    )


__all__ = ["AccountResource", "mount"]
