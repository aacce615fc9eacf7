"""WeChat user simulator (模拟器): post signed callbacks through the real gateway as a follower,
see the passive reply, the account's published menu and what the platform later sent that
follower (from the WeChat API sandbox's record, outside production only)."""

from __future__ import annotations

import time
from enum import Enum
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from libs.common.db.models import Account
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import WriteModel
from services.admin_api.api.routes.accounts.access import ScopedAccount
from services.admin_api.api.routes.menus import read_remote_menu
from services.admin_api.audit import record
from services.admin_api.errors import FieldError, FieldErrors, PermissionDenied, UpstreamError
from services.admin_api.simulator import Action, ActionKind, CallbackSigner, allowed, message_xml
from services.admin_api.state import AdminState

router = APIRouter(prefix="/api/v1/accounts/{account_id}/simulator")
TAG: list[str | Enum] = ["simulator 模拟器"]
OPENID = r"^[A-Za-z0-9_-]{1,64}$"


class SimulatorSend(WriteModel):
    """What the simulated follower does."""

    openid: str = Field(pattern=OPENID, description="模拟粉丝 OpenID · follower openid")
    kind: ActionKind = Field(description="动作 · action")
    content: str = Field("", max_length=2048, description="文本内容 · text content")
    latitude: float = Field(0.0, ge=-90, le=90, description="纬度 · latitude")
    longitude: float = Field(0.0, ge=-180, le=180, description="经度 · longitude")
    label: str = Field("", max_length=256, description="位置名称 · place label")
    media_id: str = Field("", max_length=128, description="图片 MediaId · image media id")
    pic_url: str = Field("", max_length=1024, description="图片链接 · picture URL")
    key: str = Field("", max_length=128, description="菜单 KEY · menu key")
    url: str = Field("", max_length=1024, description="菜单链接 · menu URL")


class SimulatorResult(BaseModel):
    """The gateway's answer to the simulated callback."""

    status: int = Field(description="网关 HTTP 状态 · gateway HTTP status")
    encrypted: bool = Field(description="是否 AES 加密 · sent AES-encrypted")
    elapsed_ms: float = Field(description="耗时毫秒 · round trip in ms")
    request_xml: str = Field(description="发送的消息 XML（明文） · message XML sent (plaintext)")
    reply: dict[str, Any] | None = Field(description="被动回复字段 · passive reply fields")


class InboxItem(BaseModel):
    """A message the platform sent the follower through the WeChat API."""

    kind: str = Field(description="custom | template | mass")
    msgid: int = Field(description="微信消息 ID · WeChat msgid")
    at: float = Field(description="时间（Unix 秒） · time (Unix seconds)")
    body: dict[str, Any] = Field(description="请求体 · API request body")


class Inbox(BaseModel):
    """Messages sent to one follower, oldest first."""

    items: list[InboxItem]


def _check_allowed(state: AdminState, account: Account) -> None:
    settings = state.settings
    if not allowed(settings.env, settings.simulator_accounts, account.code):
        raise PermissionDenied(
            "the simulator is off for this account in production"
            " (list it in WXHUB_SIMULATOR_ACCOUNTS if it is a test account)"
        )


def _to_action(body: SimulatorSend) -> Action:
    needs = {"text": "content", "click": "key", "view": "url"}
    field = needs.get(body.kind)
    if field and not getattr(body, field):
        raise FieldErrors(
            f"{field} is required for {body.kind}",
            [FieldError(f"body.{field}", "required", "missing")],
        )
    if body.kind == "image" and not (body.media_id or body.pic_url):
        raise FieldErrors(
            "media_id or pic_url is required for image",
            [FieldError("body.media_id", "media_id or pic_url required", "missing")],
        )
    return Action(**body.model_dump())


@router.post(
    "/send",
    response_model=SimulatorResult,
    tags=TAG,
    dependencies=[Perm("simulator.use")],
    summary="模拟粉丝发消息 · send as a follower",
)
async def send(
    account: ScopedAccount,
    body: SimulatorSend,
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
) -> SimulatorResult:
    """Sign the follower's message or event with the account's Token (AES-encrypted unless the
    account is in plaintext mode), post it to the gateway and return the passive reply."""
    _check_allowed(state, account)
    action = _to_action(body)
    box = state.secret_box
    aes_key = box.decrypt(account.aes_key_enc) if account.aes_key_enc else None
    signer = CallbackSigner(
        box.decrypt(account.token_enc), account.appid, account.original_id, aes_key
    )
    now = int(time.time())
    xml = message_xml(action, account.original_id, now=now, msg_id=time.time_ns() // 1000)
    signed = signer.sign(xml, encrypt=account.mode != "plain" and aes_key is not None)
    url = f"{state.settings.gateway_base}/wechat/{account.code}"
    started = time.perf_counter()
    try:
        answer = await state.http.post(url, params=signed.params, content=signed.body)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"gateway unreachable at {url}: {exc.__class__.__name__}") from exc
    elapsed_ms = (time.perf_counter() - started) * 1000
    reply = (
        signer.open_reply(answer.content, encrypted=signed.encrypted)
        if answer.status_code == 200
        else None
    )
    after = {"openid": body.openid, "kind": body.kind, "status": answer.status_code}
    await record(session, principal, "simulator.send", "account", account.id, after=after)
    return SimulatorResult(
        status=answer.status_code,
        encrypted=signed.encrypted,
        elapsed_ms=round(elapsed_ms, 1),
        request_xml=xml.decode(),
        reply=reply,
    )


@router.get(
    "/menu",
    response_model=dict[str, Any],
    tags=TAG,
    dependencies=[Perm("simulator.use")],
    summary="粉丝看到的菜单 · the menu followers see",
)
async def menu(account: ScopedAccount, state: StateDep) -> dict[str, Any]:
    """The menu WeChat serves for the account (read back from the WeChat API)."""
    _check_allowed(state, account)
    return await read_remote_menu(account, state)


@router.get(
    "/inbox",
    response_model=Inbox,
    tags=TAG,
    dependencies=[Perm("simulator.use")],
    summary="粉丝收到的消息 · messages the follower received",
)
async def inbox(
    account: ScopedAccount,
    state: StateDep,
    openid: Annotated[str, Query(pattern=OPENID, description="粉丝 OpenID · follower openid")],
) -> Inbox:
    """Customer-service, template and mass messages sent to ``openid`` (mass sends to all
    followers included), as the WeChat API sandbox recorded them. Outside production only:
    the real WeChat API keeps no such record."""
    if state.settings.env == "prod":
        raise PermissionDenied("the WeChat API sandbox's record exists only outside production")
    base = f"{state.settings.wechat_api_base.rstrip('/')}/__sandbox__/deliveries"
    found: dict[int, dict[str, Any]] = {}
    try:
        for params in ({"touser": openid}, {"kind": "mass"}):
            answer = await state.http.get(base, params=params)
            answer.raise_for_status()
            for item in answer.json()["deliveries"]:
                to_all = item.get("touser") is None
                if item.get("appid") == account.appid and (to_all or params.get("touser")):
                    found[int(item["msgid"])] = item
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise UpstreamError(f"WeChat API sandbox unreadable: {exc.__class__.__name__}") from exc
    items = [
        InboxItem(kind=d["kind"], msgid=d["msgid"], at=d["at"], body=d["body"])
        for d in sorted(found.values(), key=lambda d: (d["at"], d["msgid"]))
    ]
    return Inbox(items=items)
