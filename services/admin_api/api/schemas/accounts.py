"""HTTP models of WeChat accounts (R-AD-2): secrets are write-only, shown as set/not set."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from libs.common.operation_limits import MAX_DAILY_LIMIT, unknown_operations
from services.admin_api.api.models import MAX_ID, WriteModel

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
