"""Custom menus (自定义菜单, R-AD-3): edit within WeChat limits, publish, read back, delete."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from libs.common.db.models import Menu, utcnow
from libs.common.wechat.api.menu import MenuApi
from libs.common.wechat.errors import ErrorCode, WeChatApiError
from libs.common.wechat.menu_rules import MENU_TYPES
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.api.route_factory import AccountResource, mount
from services.admin_api.api.routes.accounts.access import ScopedAccount
from services.admin_api.audit import record, snapshot
from services.admin_api.errors import InvalidState
from services.admin_api.menus import (
    clean_buttons,
    track_menu_links,
    validate_buttons,
    validate_matchrule,
)
from services.admin_api.repositories import menus as menu_rows
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for

router = APIRouter(prefix="/api/v1")
TAG: list[str | Enum] = ["menus 自定义菜单"]

# Checked by the menu rules (libs/common/wechat/menu_rules.py); listed here for the API docs.
ButtonType = Annotated[str, Field(json_schema_extra={"enum": sorted(MENU_TYPES)})]


class SubButton(BaseModel):
    """A second-level button."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=60, description="名称（≤ 60 字节） · name (≤ 60 bytes)")
    type: ButtonType = Field(description="类型 · type")
    key: str | None = Field(None, max_length=128, description="KEY（click 等） · key")
    url: str | None = Field(None, max_length=1024, description="链接（view 等） · url")
    media_id: str | None = Field(None, max_length=128, description="永久素材 ID · media id")
    article_id: str | None = Field(None, max_length=128, description="发布文章 ID · article id")
    appid: str | None = Field(None, max_length=64, description="小程序 AppID · mini program appid")
    pagepath: str | None = Field(None, max_length=256, description="小程序页面 · mini program page")


class Button(BaseModel):
    """A top-level button: an action, or a group of up to 5 sub-buttons."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=16, description="名称（≤ 16 字节） · name (≤ 16 bytes)")
    type: ButtonType | None = Field(None, description="类型（无子菜单时） · type (no sub-buttons)")
    key: str | None = Field(None, max_length=128, description="KEY · key")
    url: str | None = Field(None, max_length=1024, description="链接 · url")
    media_id: str | None = Field(None, max_length=128, description="永久素材 ID · media id")
    article_id: str | None = Field(None, max_length=128, description="发布文章 ID · article id")
    appid: str | None = Field(None, max_length=64, description="小程序 AppID · appid")
    pagepath: str | None = Field(None, max_length=256, description="小程序页面 · page path")
    sub_button: list[SubButton] | None = Field(
        None, max_length=5, description="子菜单 · sub-buttons"
    )


class MatchRule(BaseModel):
    """Who sees a conditional menu (only these two rules still work)."""

    model_config = ConfigDict(extra="forbid")

    tag_id: str | None = Field(None, max_length=16, description="用户标签 ID · user tag id")
    client_platform_type: Literal["1", "2", "3"] | None = Field(
        None, description="平台 1 iOS 2 Android 3 其他 · platform"
    )


class DefaultMenuUpdate(WriteModel):
    """The default menu of an account."""

    buttons: list[Button] = Field(max_length=3, description="一级菜单 · top-level buttons")


class MenuCreate(WriteModel):
    """A conditional menu."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    kind: Literal["conditional"] = Field("conditional", description="类型 · kind")
    name: str = Field("", max_length=128, description="名称 · name")
    buttons: list[Button] = Field(max_length=3, description="一级菜单 · top-level buttons")
    matchrule: MatchRule = Field(description="匹配规则 · match rule")


class MenuUpdate(WriteModel):
    """Changes to a menu."""

    name: str | None = Field(None, max_length=128, description="名称 · name")
    buttons: list[Button] | None = Field(None, max_length=3, description="一级菜单 · buttons")
    matchrule: MatchRule | None = Field(None, description="匹配规则 · match rule")


class MenuRead(ReadModel):
    """A stored (draft or published) menu."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    kind: str = Field(description="default 默认 / conditional 个性化 · kind")
    name: str = Field(description="名称 · name")
    buttons: list[dict[str, Any]] = Field(description="菜单按钮 · buttons")
    matchrule: dict[str, Any] | None = Field(description="匹配规则 · match rule")
    wechat_menuid: str | None = Field(description="微信 menuid · WeChat menu id")
    published_at: datetime | None = Field(description="发布时间 · published at")


class PublishResult(BaseModel):
    """What went to WeChat."""

    published_at: datetime = Field(description="发布时间 · published at")
    conditional_menuids: list[str] = Field(description="个性化菜单 ID · conditional menu ids")


def _dump(buttons: list[Button]) -> list[dict[str, Any]]:
    return [b.model_dump(exclude_none=True) for b in buttons]


def check_menu(data: dict[str, Any], _state: AdminState) -> None:
    """Hook for the generic routes: buttons within limits, a usable match rule."""
    buttons = data.get("buttons") or []
    validate_buttons([b if isinstance(b, dict) else b.model_dump() for b in buttons])
    data["buttons"] = clean_buttons(buttons)
    if data.get("kind", "conditional") == "conditional":
        rule = data.get("matchrule") or {}
        rule = {k: v for k, v in rule.items() if v is not None}
        validate_matchrule(rule)
        data["matchrule"] = rule


@router.get(
    "/accounts/{account_id}/menu",
    response_model=MenuRead | None,
    tags=TAG,
    dependencies=[Perm("menu.read")],
    summary="默认菜单草稿 · default menu (draft)",
)
async def get_default_menu(account: ScopedAccount, session: SessionDep) -> MenuRead | None:
    """The stored default menu (null if none was saved)."""
    menu = await menu_rows.get_default(session, account_id=account.id)
    return MenuRead.model_validate(menu) if menu else None


@router.put(
    "/accounts/{account_id}/menu",
    response_model=MenuRead,
    tags=TAG,
    dependencies=[Perm("menu.edit")],
    summary="保存默认菜单 · save default menu",
)
async def put_default_menu(
    account: ScopedAccount, body: DefaultMenuUpdate, principal: CurrentUser, session: SessionDep
) -> MenuRead:
    """Validate against WeChat's limits and save (publishing is a separate step)."""
    buttons = _dump(body.buttons)
    validate_buttons(buttons)
    menu = await menu_rows.get_default(session, account_id=account.id)
    before = snapshot(menu)
    if menu is None:
        menu = Menu(account_id=account.id, kind="default", name="default")
        session.add(menu)
    menu.buttons = clean_buttons(buttons)
    await session.flush()
    await record(
        session, principal, "menu.save", "menu", menu.id, before=before, after=snapshot(menu)
    )
    return MenuRead.model_validate(menu)


@router.post(
    "/accounts/{account_id}/menu/publish",
    response_model=PublishResult,
    tags=TAG,
    dependencies=[Perm("menu.publish")],
    summary="发布菜单到微信 · publish to WeChat",
)
async def publish_menu(
    account: ScopedAccount, principal: CurrentUser, session: SessionDep, state: StateDep
) -> PublishResult:
    """Replace the account's menus on WeChat: the default menu, then every conditional one."""
    default = await menu_rows.get_default(session, account_id=account.id)
    if default is None or not default.buttons:
        raise InvalidState("save a default menu before publishing")
    conditionals = await menu_rows.list_conditional(session, account_id=account.id)
    api = MenuApi(client_for(state, account))
    # Short links (if tracked) are registered in their own transaction: this one has only read
    # so far, and the WeChat calls (and the token row they may write) come first.
    await api.create(await track_menu_links(state, account, default.buttons))
    menuids = [
        await api.add_conditional(
            await track_menu_links(state, account, m.buttons), m.matchrule or {}
        )
        for m in conditionals
    ]
    now = utcnow()
    published = list(zip([default, *conditionals], [None, *menuids], strict=True))
    await menu_rows.mark_published(session, menus=published, at=now, by=principal.user_id)
    await record(
        session,
        principal,
        "menu.publish",
        "account",
        account.id,
        after={"default": default.buttons, "conditional_menuids": menuids},
    )
    return PublishResult(published_at=now, conditional_menuids=menuids)


@router.get(
    "/accounts/{account_id}/menu/remote",
    response_model=dict[str, Any],
    tags=TAG,
    dependencies=[Perm("menu.read")],
    summary="读取微信上的菜单 · read back from WeChat",
)
async def read_remote_menu(account: ScopedAccount, state: StateDep) -> dict[str, Any]:
    """The menus WeChat currently serves (default + conditional); ``{}`` when none."""
    try:
        return await MenuApi(client_for(state, account)).get()
    except WeChatApiError as exc:
        if exc.errcode == ErrorCode.MENU_NOT_EXIST:
            return {}
        raise


@router.delete(
    "/accounts/{account_id}/menu/remote",
    response_model=dict[str, bool],
    tags=TAG,
    dependencies=[Perm("menu.publish")],
    summary="删除微信上的菜单 · delete on WeChat",
)
async def delete_remote_menu(
    account: ScopedAccount, principal: CurrentUser, session: SessionDep, state: StateDep
) -> dict[str, bool]:
    """Delete the default and every conditional menu on WeChat (drafts stay stored)."""
    await MenuApi(client_for(state, account)).delete()
    await menu_rows.mark_unpublished(session, account_id=account.id)
    await record(session, principal, "menu.unpublish", "account", account.id)
    return {"deleted": True}


mount(
    router,
    AccountResource(
        path="/menus",
        entity="menu",
        label="menus 自定义菜单",
        model=Menu,
        create=MenuCreate,
        update=MenuUpdate,
        read=MenuRead,
        read_perm="menu.read",
        edit_perm="menu.edit",
        sortable={"id": Menu.id, "name": Menu.name},
        search=[Menu.name],
        filters={"kind": (str, Menu.kind, "类型 · kind")},
        check=check_menu,
    ),
)
