"""The account register: list, create, read, change and delete accounts (credentials encrypted
before they are stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from libs.common.db.models import Account
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import Deleted
from services.admin_api.api.routes.accounts.access import (
    ScopedAccount,
    accounts_router,
    head_office_only,
    to_read,
)
from services.admin_api.api.schemas.accounts import AccountCreate, AccountRead, AccountUpdate
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import accounts, rows
from services.admin_api.scope import org_in_scope

router = accounts_router()


@router.get(
    "",
    response_model=Page[AccountRead],
    dependencies=[Perm("account.read")],
    summary="公众号列表 · list accounts",
)
async def list_accounts(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    params: ListQuery,
    enabled: Annotated[bool | None, Query(description="是否启用 · enabled")] = None,
) -> Page[AccountRead]:
    """Accounts owned by or granted to the caller's subtree."""
    items, total = await accounts.list_accounts(
        session, principal=principal, params=params, enabled=enabled
    )
    return Page[AccountRead].of(
        [await to_read(session, state.secret_box, a) for a in items], total, params
    )


@router.post(
    "",
    response_model=AccountRead,
    status_code=201,
    dependencies=[Perm("account.manage")],
    summary="新建公众号 · create account",
)
async def create_account(
    body: AccountCreate, principal: CurrentUser, session: SessionDep, state: StateDep
) -> AccountRead:
    """Create an account (head office only); secrets are encrypted before they are stored."""
    head_office_only(principal)
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    if await accounts.exists_with_code_or_appid(session, code=body.code, appid=body.appid):
        raise Conflict("an account with this code or appid exists")
    box = state.secret_box
    account = await rows.add(
        session,
        Account(
            code=body.code,
            name=body.name,
            appid=body.appid,
            original_id=body.original_id,
            mode=body.mode,
            app_secret_enc=box.encrypt(body.app_secret),
            token_enc=box.encrypt(body.token),
            aes_key_enc=box.encrypt(body.encoding_aes_key) if body.encoding_aes_key else None,
            aes_key_previous_enc=(
                box.encrypt(body.encoding_aes_key_previous)
                if body.encoding_aes_key_previous
                else None
            ),
            welcome_text=body.welcome_text,
            help_header=body.help_header,
            enabled=body.enabled,
            track_clicks=body.track_clicks,
            org_id=org_id,
            operation_limits=body.operation_limits,
        ),
    )
    await record(
        session, principal, "account.create", "account", account.id, after=snapshot(account)
    )
    return await to_read(session, box, account)


@router.get(
    "/{account_id}",
    response_model=AccountRead,
    dependencies=[Perm("account.read")],
    summary="公众号详情 · get account",
)
async def get_account(account: ScopedAccount, session: SessionDep, state: StateDep) -> AccountRead:
    """One account (secrets as set/not set + last 4)."""
    return await to_read(session, state.secret_box, account)


@router.patch(
    "/{account_id}",
    response_model=AccountRead,
    dependencies=[Perm("account.manage")],
    summary="修改公众号 · update account",
)
async def update_account(
    account: ScopedAccount,
    body: AccountUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> AccountRead:
    """Change an account; the engine and gateway pick it up without a restart."""
    head_office_only(principal)
    box = state.secret_box
    before = snapshot(account)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "app_secret" in changes:
        account.app_secret_enc = box.encrypt(changes.pop("app_secret"))
    if "token" in changes:
        account.token_enc = box.encrypt(changes.pop("token"))
    if "encoding_aes_key" in changes:
        account.aes_key_previous_enc = account.aes_key_enc
        account.aes_key_enc = box.encrypt(changes.pop("encoding_aes_key"))
    await rows.update(session, account, changes)
    await record(
        session,
        principal,
        "account.update",
        "account",
        account.id,
        before=before,
        after=snapshot(account),
    )
    return await to_read(session, box, account)


@router.delete(
    "/{account_id}",
    response_model=Deleted,
    dependencies=[Perm("account.manage")],
    summary="删除公众号 · delete account",
)
async def delete_account(
    account: ScopedAccount, principal: CurrentUser, session: SessionDep
) -> Deleted:
    """Delete an account with its configuration (head office only)."""
    head_office_only(principal)
    before = snapshot(account)
    await rows.delete(session, account)
    await record(session, principal, "account.delete", "account", account.id, before=before)
    return Deleted(id=str(account.id))
