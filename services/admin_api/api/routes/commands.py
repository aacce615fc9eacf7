"""Commands (指令查询配置) and menu click actions, the tables the engine reads (R-AD-4)."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.common.db.models import Command, Material, MenuAction
from libs.common.material_replies import MATERIAL_ANSWER, MATERIAL_KINDS, THUMB_MAX_BYTES
from services.admin_api.api.deps import Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.api.route_factory import AccountResource, mount
from services.admin_api.errors import FieldError, FieldErrors, NotFound
from services.admin_api.scope import Principal, by_org
from services.admin_api.state import AdminState

router = APIRouter(prefix="/api/v1")

MatchKind = Literal["exact", "prefix", "regex"]
_HANDLER = r"^[a-z][a-z0-9_.:]*$"


class CommandCreate(WriteModel):
    """A new command."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    name: str = Field(min_length=1, max_length=64, description="指令名称 · name")
    match_kind: MatchKind = Field(description="匹配方式 exact/prefix/regex · match kind")
    pattern: str = Field(
        min_length=1,
        max_length=512,
        description="关键字（| 分隔）或正则 · keywords ('|'-separated) or regex",
    )
    handler: str = Field(
        min_length=1, max_length=64, pattern=_HANDLER, description="处理器 · engine handler"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="处理器参数 · handler params")
    priority: int = Field(0, ge=-1000, le=1000, description="优先级（大者优先） · priority")
    description: str = Field("", max_length=1000, description="说明 · description")
    show_in_help: bool = Field(True, description="显示在帮助中 · listed in help")
    enabled: bool = Field(True, description="是否启用 · enabled")


class CommandUpdate(WriteModel):
    """Changes to a command."""

    name: str | None = Field(None, min_length=1, max_length=64, description="指令名称 · name")
    match_kind: MatchKind | None = Field(None, description="匹配方式 · match kind")
    pattern: str | None = Field(
        None, min_length=1, max_length=512, description="关键字/正则 · pattern"
    )
    handler: str | None = Field(
        None, min_length=1, max_length=64, pattern=_HANDLER, description="处理器 · handler"
    )
    params: dict[str, Any] | None = Field(None, description="处理器参数 · handler params")
    priority: int | None = Field(None, ge=-1000, le=1000, description="优先级 · priority")
    description: str | None = Field(None, max_length=1000, description="说明 · description")
    show_in_help: bool | None = Field(None, description="显示在帮助中 · listed in help")
    enabled: bool | None = Field(None, description="是否启用 · enabled")


class CommandRead(ReadModel):
    """A command."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    name: str = Field(description="指令名称 · name")
    match_kind: str = Field(description="匹配方式 · match kind")
    pattern: str = Field(description="关键字/正则 · pattern")
    handler: str = Field(description="处理器 · handler")
    params: dict[str, Any] = Field(description="处理器参数 · handler params")
    priority: int = Field(description="优先级 · priority")
    description: str = Field(description="说明 · description")
    show_in_help: bool = Field(description="显示在帮助中 · listed in help")
    enabled: bool = Field(description="是否启用 · enabled")


class AnswerNamesRead(ReadModel):
    """The handlers a command or menu action may name."""

    names: list[str] = Field(description="处理器名称 · handler names (built-in and plug-ins)")


@router.get(
    "/answers",
    response_model=AnswerNamesRead,
    dependencies=[Perm("command.read")],
    tags=["commands 指令"],
    summary="列表 · list the handlers commands and menu actions may name",
)
async def list_answers(state: StateDep) -> AnswerNamesRead:
    """The engine's answer names (built-in and from plug-ins), sorted."""
    return AnswerNamesRead(names=sorted(state.answers))


def check_handler(data: dict[str, Any], state: AdminState) -> None:
    """The handler must be an answer the engine has (it would otherwise answer nothing)."""
    handler = data.get("handler")
    if handler not in state.answers:
        raise FieldErrors(
            f"unknown handler {handler!r}",
            [FieldError("body.handler", f"unknown handler: {handler}", "unknown_handler")],
            known=sorted(state.answers),
        )


class MaterialReplyParams(BaseModel):
    """``params`` of the ``material`` handler: a reply from the material library (R-EN-12)."""

    model_config = ConfigDict(extra="forbid")

    reply_type: Literal["text", "image", "voice", "video", "music", "news"] = Field(
        description="回复类型 · reply type"
    )
    material_id: int = Field(ge=1, le=MAX_ID, description="素材 ID · material id")
    title: str = Field("", max_length=64, description="标题（视频/音乐） · title (video, music)")
    description: str = Field(
        "", max_length=256, description="描述（视频/音乐） · description (video, music)"
    )
    music_url: str = Field(
        "", max_length=1024, pattern=r"^(https?://\S+)?$", description="音乐链接 · music URL"
    )
    hq_music_url: str = Field(
        "", max_length=1024, pattern=r"^(https?://\S+)?$", description="高品质音乐链接 · HQ URL"
    )


def _params_error(message: str, field: str, kind: str, **details: Any) -> FieldErrors:
    return FieldErrors(message, [FieldError(f"body.params.{field}", message, kind)], **details)


async def verify_material_reply(
    data: dict[str, Any], session: SessionDep, principal: Principal
) -> None:
    """A ``material`` handler names an existing material of the reply type's kind that the
    caller sees (422 otherwise); its params are stored normalised."""
    if data.get("handler") != MATERIAL_ANSWER:
        return
    try:
        params = MaterialReplyParams.model_validate(data.get("params") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "params"
        raise _params_error(f"invalid material reply: {first['msg']}", where, "params") from exc
    expected = MATERIAL_KINDS[params.reply_type]
    try:
        material = await by_org(session, principal, Material, params.material_id, "material")
    except NotFound:
        raise _params_error(
            f"material {params.material_id} not found", "material_id", "material_missing"
        ) from None
    if material.kind != expected:
        raise _params_error(
            f"a {params.reply_type} reply needs a {expected} material, not {material.kind}",
            "material_id",
            "material_kind",
            expected=expected,
            actual=material.kind,
        )
    if params.reply_type == "music":
        if not params.music_url:
            raise _params_error("a music reply needs music_url", "music_url", "missing")
        if material.size > THUMB_MAX_BYTES:
            raise _params_error(
                f"a music thumbnail is at most {THUMB_MAX_BYTES} bytes",
                "material_id",
                "thumb_too_large",
                max=THUMB_MAX_BYTES,
            )
    data["params"] = params.model_dump(exclude_defaults=True) | {
        "reply_type": params.reply_type,
        "material_id": params.material_id,
    }


def check_command(data: dict[str, Any], state: AdminState) -> None:
    """A known handler, and a regex that compiles (the engine would otherwise skip it)."""
    check_handler(data, state)
    if data.get("match_kind") == "regex":
        try:
            re.compile(str(data.get("pattern", "")))
        except re.error as exc:
            raise FieldErrors(
                "invalid regular expression",
                [FieldError("body.pattern", f"invalid regex: {exc}", "regex")],
            ) from exc


class MenuActionCreate(WriteModel):
    """What a menu CLICK key runs."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    key: str = Field(min_length=1, max_length=128, description="菜单 KEY · menu key")
    handler: str = Field(
        min_length=1, max_length=64, pattern=_HANDLER, description="处理器 · handler"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="处理器参数 · handler params")
    description: str = Field("", max_length=1000, description="说明 · description")
    enabled: bool = Field(True, description="是否启用 · enabled")


class MenuActionUpdate(WriteModel):
    """Changes to a menu action."""

    handler: str | None = Field(
        None, min_length=1, max_length=64, pattern=_HANDLER, description="处理器 · handler"
    )
    params: dict[str, Any] | None = Field(None, description="处理器参数 · handler params")
    description: str | None = Field(None, max_length=1000, description="说明 · description")
    enabled: bool | None = Field(None, description="是否启用 · enabled")


class MenuActionRead(ReadModel):
    """A menu action."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    key: str = Field(description="菜单 KEY · menu key")
    handler: str = Field(description="处理器 · handler")
    params: dict[str, Any] = Field(description="处理器参数 · handler params")
    description: str = Field(description="说明 · description")
    enabled: bool = Field(description="是否启用 · enabled")


mount(
    router,
    AccountResource(
        path="/commands",
        entity="command",
        label="commands 指令",
        model=Command,
        create=CommandCreate,
        update=CommandUpdate,
        read=CommandRead,
        read_perm="command.read",
        edit_perm="command.edit",
        sortable={"id": Command.id, "name": Command.name, "priority": Command.priority},
        search=[Command.name, Command.pattern, Command.description],
        filters={
            "enabled": (bool, Command.enabled, "是否启用 · enabled"),
            "match_kind": (str, Command.match_kind, "匹配方式 · match kind"),
        },
        check=check_command,
        verify=verify_material_reply,
    ),
)
mount(
    router,
    AccountResource(
        path="/menu-actions",
        entity="menu_action",
        label="commands 指令",
        model=MenuAction,
        create=MenuActionCreate,
        update=MenuActionUpdate,
        read=MenuActionRead,
        read_perm="command.read",
        edit_perm="command.edit",
        sortable={"id": MenuAction.id, "key": MenuAction.key},
        search=[MenuAction.key, MenuAction.description],
        filters={"enabled": (bool, MenuAction.enabled, "是否启用 · enabled")},
        check=check_handler,
        verify=verify_material_reply,
    ),
)
