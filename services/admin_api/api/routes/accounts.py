"""WeChat accounts (多微信公众账号管理, R-AD-2): secrets encrypted at rest, never returned."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator

from libs.common.db.models import Account
from libs.common.operation_limits import MAX_DAILY_LIMIT, unknown_operations
from libs.common.secret_box import SecretBox, last4
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, Deleted, IdPath, WriteModel
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import Conflict, PermissionDenied
from services.admin_api.listing import ListQuery, Page
from services.admin_api.repositories import accounts, rows
from services.admin_api.scope import Principal, account_in_scope, org_in_scope

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts 公众号"])

Mode = Literal["plain", "compatible", "safe"]
AES_KEY = r"^[A-Za-z0-9]{43}$"
DailyCap = Annotated[int, Field(ge=1, le=MAX_DAILY_LIMIT)]
LIMITS_DESCRIPTION = (
    "每位客户每日操作上限（未设置的用平台默认） · daily cap per customer and operation "
    "(bind_attempt, code_send, application); operations left out use the platform default"
)


def _known_operations(value: dict[str, int] | None) -> dict[str, int] | None:
    if value is not None and (unknown := unknown_operations(value)):
        raise ValueError(f"unknown operations: {', '.join(unknown)}")
    return value


class AccountCreate(WriteModel):
    """A new WeChat Official Account with its credentials."""

    code: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_-]+$",
        description="账号代码（回调路径 /wechat/{code}） · code (callback path)",
    )
    name: str = Field(min_length=1, max_length=128, description="名称 · name")
    appid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$", description="AppID")
    original_id: str = Field(
        min_length=1, max_length=64, description="原始 ID · original id (gh_…)"
    )
    mode: Mode = Field("safe", description="消息加解密方式 · message encryption mode")
    app_secret: str = Field(
        min_length=1, max_length=128, description="AppSecret（加密存储） · secret"
    )
    token: str = Field(
        min_length=3,
        max_length=32,
        pattern=r"^[A-Za-z0-9]+$",
        description="令牌 Token · callback token",
    )
    encoding_aes_key: str | None = Field(
        None, pattern=AES_KEY, description="EncodingAESKey（43 位） · current AES key"
    )
    encoding_aes_key_previous: str | None = Field(
        None, pattern=AES_KEY, description="上一个 EncodingAESKey · previous AES key"
    )
    welcome_text: str = Field("", max_length=600, description="关注欢迎语 · welcome text")
    help_header: str = Field("", max_length=600, description="帮助抬头 · help header")
    enabled: bool = Field(True, description="是否启用 · enabled")
    track_clicks: bool = Field(
        False, description="链接点击统计（改写为短链接） · rewrite links into tracked short links"
    )
    org_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="所属机构（默认总行） · owning org (default HQ)"
    )
    operation_limits: dict[str, DailyCap] = Field(
        default_factory=dict, max_length=20, description=LIMITS_DESCRIPTION
    )

    _limits = field_validator("operation_limits")(_known_operations)


class AccountUpdate(WriteModel):
    """Changes; a secret given here replaces the stored one (a new AES key keeps the old one as
    previous, so callbacks encrypted with either keep working during rotation)."""

    name: str | None = Field(None, min_length=1, max_length=128, description="名称 · name")
    original_id: str | None = Field(
        None, min_length=1, max_length=64, description="原始 ID · original id"
    )
    mode: Mode | None = Field(None, description="消息加解密方式 · encryption mode")
    app_secret: str | None = Field(None, min_length=1, max_length=128, description="AppSecret")
    token: str | None = Field(
        None,
        min_length=3,
        max_length=32,
        pattern=r"^[A-Za-z0-9]+$",
        description="令牌 Token · callback token",
    )
    encoding_aes_key: str | None = Field(
        None, pattern=AES_KEY, description="新 EncodingAESKey · new AES key"
    )
    welcome_text: str | None = Field(None, max_length=600, description="关注欢迎语 · welcome text")
    help_header: str | None = Field(None, max_length=600, description="帮助抬头 · help header")
    enabled: bool | None = Field(None, description="是否启用 · enabled")
    track_clicks: bool | None = Field(
        None, description="链接点击统计（改写为短链接） · rewrite links into tracked short links"
    )
    operation_limits: dict[str, DailyCap] | None = Field(
        None, max_length=20, description=LIMITS_DESCRIPTION
    )

    _limits = field_validator("operation_limits")(_known_operations)


class SecretStatus(BaseModel):
    """Whether a secret is set, and its last 4 characters — never the secret itself."""

    set: bool = Field(description="是否已设置 · set")
    last4: str | None = Field(description="末 4 位 · last 4 characters")


class AccountRead(BaseModel):
    """An account, secrets reduced to :class:`SecretStatus`."""

    id: int = Field(description="ID · id")
    code: str = Field(description="账号代码 · code")
    name: str = Field(description="名称 · name")
    appid: str = Field(description="AppID")
    original_id: str = Field(description="原始 ID · original id")
    mode: str = Field(description="加解密方式 · mode")
    app_secret: SecretStatus = Field(description="AppSecret 状态 · secret status")
    token: SecretStatus = Field(description="Token 状态 · token status")
    encoding_aes_key: SecretStatus = Field(description="EncodingAESKey 状态 · AES key status")
    encoding_aes_key_previous: SecretStatus = Field(
        description="上一个 AES key 状态 · previous key"
    )
    welcome_text: str = Field(description="关注欢迎语 · welcome text")
    help_header: str = Field(description="帮助抬头 · help header")
    enabled: bool = Field(description="是否启用 · enabled")
    track_clicks: bool = Field(description="链接点击统计 · links become tracked short links")
    operation_limits: dict[str, int] = Field(description=LIMITS_DESCRIPTION)
    org_id: int | None = Field(ge=1, le=MAX_ID, description="所属机构 · owning org")
    granted_org_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        description="授权发布的机构 · orgs allowed to publish"
    )


class GrantsUpdate(WriteModel):
    """Organisations (branches) allowed to publish to the account."""

    org_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=200, description="机构 ID 列表 · organisation ids"
    )


def _status(box: SecretBox, ciphertext: str | None) -> SecretStatus:
    if not ciphertext:
        return SecretStatus(set=False, last4=None)
    return SecretStatus(set=True, last4=last4(box.decrypt(ciphertext)))


async def to_read(session: SessionDep, box: SecretBox, account: Account) -> AccountRead:
    """The API view of an account."""
    grants = await accounts.list_granted_org_ids(session, account_id=account.id)
    return AccountRead(
        id=account.id,
        code=account.code,
        name=account.name,
        appid=account.appid,
        original_id=account.original_id,
        mode=account.mode,
        app_secret=_status(box, account.app_secret_enc),
        token=_status(box, account.token_enc),
        encoding_aes_key=_status(box, account.aes_key_enc),
        encoding_aes_key_previous=_status(box, account.aes_key_previous_enc),
        welcome_text=account.welcome_text,
        help_header=account.help_header,
        enabled=account.enabled,
        track_clicks=account.track_clicks,
        operation_limits=dict(account.operation_limits or {}),
        org_id=account.org_id,
        granted_org_ids=grants,
    )


def _head_office_only(principal: Principal) -> None:
    if not principal.is_head_office:
        raise PermissionDenied("only the head office manages account credentials")


async def load_account(account_id: IdPath, principal: CurrentUser, session: SessionDep) -> Account:
    """The account in the path, within the caller's scope."""
    return await account_in_scope(session, principal, account_id)


ScopedAccount = Annotated[Account, Depends(load_account)]


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
    return Page[AccountRead](
        items=[await to_read(session, state.secret_box, a) for a in items],
        total=total,
        page=params.page,
        page_size=params.page_size,
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
    _head_office_only(principal)
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
    _head_office_only(principal)
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


@router.put(
    "/{account_id}/grants",
    response_model=AccountRead,
    dependencies=[Perm("account.manage")],
    summary="授权机构发布 · set publishing grants",
)
async def set_grants(
    account: ScopedAccount,
    body: GrantsUpdate,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> AccountRead:
    """Replace the set of organisations allowed to publish to the account."""
    _head_office_only(principal)
    for org_id in set(body.org_ids):
        await org_in_scope(session, principal, org_id)
    before = (await to_read(session, state.secret_box, account)).granted_org_ids
    await accounts.replace_grants(session, account_id=account.id, org_ids=sorted(set(body.org_ids)))
    await record(
        session,
        principal,
        "account.grants",
        "account",
        account.id,
        before={"org_ids": before},
        after={"org_ids": sorted(set(body.org_ids))},
    )
    return await to_read(session, state.secret_box, account)


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
    _head_office_only(principal)
    before = snapshot(account)
    await rows.delete(session, account)
    await record(session, principal, "account.delete", "account", account.id, before=before)
    return Deleted(id=str(account.id))
