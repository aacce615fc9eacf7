"""Reminder types (消息提醒配置): event type → template, CS text, SMS text (R-AD-4, R-OUT-2)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from libs.common.db.models import ReminderType
from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel
from services.admin_api.api.route_factory import AccountResource, mount

router = APIRouter(prefix="/api/v1")


class ReminderTypeCreate(WriteModel):
    """A new reminder type."""

    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    event_type: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="业务事件类型 · business event type",
    )
    name: str = Field(min_length=1, max_length=128, description="名称 · name")
    template_id: str = Field("", max_length=128, description="微信模板 ID · WeChat template id")
    template_fields: dict[str, Any] = Field(
        default_factory=dict, description="模板字段映射 · template key → format string"
    )
    template_url: str = Field("", max_length=1024, description="模板跳转链接 · template link")
    cs_text: str = Field("", max_length=600, description="客服消息文本 · customer-service text")
    sms_text: str = Field("", max_length=500, description="短信文本 · SMS text")
    fallback_allowed: bool = Field(True, description="允许短信兜底 · SMS fallback allowed")
    sms_to_unsubscribed: bool = Field(
        False,
        description="向已取关客户发短信 · still send by SMS to customers who unfollowed",
    )
    default_fallback: Literal["sms", "none"] = Field(
        "sms", description="默认兜底 · default fallback"
    )
    default_priority: Literal["alert", "bulk"] = Field("alert", description="默认优先级 · priority")
    enabled: bool = Field(True, description="是否启用 · enabled")


class ReminderTypeUpdate(WriteModel):
    """Changes to a reminder type."""

    name: str | None = Field(None, min_length=1, max_length=128, description="名称 · name")
    template_id: str | None = Field(None, max_length=128, description="微信模板 ID · template id")
    template_fields: dict[str, Any] | None = Field(None, description="模板字段映射 · field mapping")
    template_url: str | None = Field(None, max_length=1024, description="模板跳转链接 · link")
    cs_text: str | None = Field(None, max_length=600, description="客服消息文本 · CS text")
    sms_text: str | None = Field(None, max_length=500, description="短信文本 · SMS text")
    fallback_allowed: bool | None = Field(None, description="允许短信兜底 · fallback allowed")
    sms_to_unsubscribed: bool | None = Field(
        None, description="向已取关客户发短信 · SMS to customers who unfollowed"
    )
    default_fallback: Literal["sms", "none"] | None = Field(None, description="默认兜底 · fallback")
    default_priority: Literal["alert", "bulk"] | None = Field(None, description="优先级 · priority")
    enabled: bool | None = Field(None, description="是否启用 · enabled")


class ReminderTypeRead(ReadModel):
    """A reminder type."""

    id: int = Field(description="ID · id")
    account_id: int = Field(ge=1, le=MAX_ID, description="公众号 ID · account id")
    event_type: str = Field(description="业务事件类型 · event type")
    name: str = Field(description="名称 · name")
    template_id: str = Field(description="微信模板 ID · template id")
    template_fields: dict[str, Any] = Field(description="模板字段映射 · field mapping")
    template_url: str = Field(description="模板跳转链接 · link")
    cs_text: str = Field(description="客服消息文本 · CS text")
    sms_text: str = Field(description="短信文本 · SMS text")
    fallback_allowed: bool = Field(description="允许短信兜底 · fallback allowed")
    sms_to_unsubscribed: bool = Field(
        description="向已取关客户发短信 · SMS to customers who unfollowed"
    )
    default_fallback: str = Field(description="默认兜底 · default fallback")
    default_priority: str = Field(description="默认优先级 · default priority")
    enabled: bool = Field(description="是否启用 · enabled")


mount(
    router,
    AccountResource(
        path="/reminder-types",
        entity="reminder_type",
        label="reminders 消息提醒",
        model=ReminderType,
        create=ReminderTypeCreate,
        update=ReminderTypeUpdate,
        read=ReminderTypeRead,
        read_perm="reminder.read",
        edit_perm="reminder.edit",
        sortable={
            "id": ReminderType.id,
            "event_type": ReminderType.event_type,
            "name": ReminderType.name,
        },
        search=[ReminderType.event_type, ReminderType.name],
        filters={"enabled": (bool, ReminderType.enabled, "是否启用 · enabled")},
    ),
)
