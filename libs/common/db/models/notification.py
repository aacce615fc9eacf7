"""Outbound notifications from business systems (R-OUT-1..10): who may send, what, and its fate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow


class BusinessSystem(Timestamped, Base):
    """A business system allowed to call the notification API; its secret is stored encrypted."""

    __tablename__ = "business_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_enc: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)


class ReminderType(Timestamped, Base):
    """消息提醒配置: a business event type → template message, customer-service text, SMS text."""

    __tablename__ = "reminder_types"
    __table_args__ = (UniqueConstraint("account_id", "event_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    # WeChat template id and mapping template key → format string over the notification's data,
    # e.g. {"amount": "{amount}元", "time": "{time}"}.
    template_id: Mapped[str] = mapped_column(String(128), default="")
    template_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    template_url: Mapped[str] = mapped_column(String(1024), default="")
    cs_text: Mapped[str] = mapped_column(Text, default="")
    sms_text: Mapped[str] = mapped_column(Text, default="")
    fallback_allowed: Mapped[bool] = mapped_column(default=True)
    # "sms" | "none": what happens when a request does not say.
    default_fallback: Mapped[str] = mapped_column(String(16), default="sms")
    default_priority: Mapped[str] = mapped_column(String(16), default="alert")
    # Whether a customer who unfollowed (or whose binding is suspended) still gets it by SMS;
    # otherwise such a notification is suppressed (R-EN-7).
    sms_to_unsubscribed: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)


class Notification(Timestamped, Base):
    """One accepted message and its single status row: accepted → sending → delivered |
    fallback_sent | suppressed(reason) | failed(reason); WeChat's delivery report then moves
    ``delivered`` on to confirmed | blocked | failed_on_wechat."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("system_id", "idempotency_key"),
        Index("ix_notifications_status_created", "status", "created_at"),
        Index("ix_notifications_account_msgid", "account_id", "wechat_msgid"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("business_systems.id"), default=None)
    event_type: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16), default="alert")
    openid: Mapped[str | None] = mapped_column(String(64), default=None)
    # The recipient's customer number and phone, encrypted with the secret box (personal data:
    # never stored in clear). Nothing searches notifications by either, so no lookup token.
    customer_no_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    fallback: Mapped[str] = mapped_column(String(16), default="sms")
    deadline_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The claim generation: bumped by every claim, it fences a worker whose lease expired.
    attempts: Mapped[int] = mapped_column(default=0)
    # Until when the worker that claimed it (status ``sending``) owns it; another may take over
    # only after this (None: not claimed, or claimed before leases existed).
    claim_until: Mapped[datetime | None] = mapped_column(default=None)
    wechat_msgid: Mapped[str | None] = mapped_column(String(64), default=None)
    job_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # A mass send's reach from MASSSENDJOBFINISH (None until WeChat reports it).
    reach_total: Mapped[int | None] = mapped_column(default=None)
    reach_filtered: Mapped[int | None] = mapped_column(default=None)
    reach_sent: Mapped[int | None] = mapped_column(default=None)
    reach_errors: Mapped[int | None] = mapped_column(default=None)


class NotificationEvent(Base):
    """One step in a notification's history (status change or channel decision, with its reason)."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    errcode: Mapped[int | None] = mapped_column(default=None)


class NotificationJob(Timestamped, Base):
    """A CSV upload (文件发送) turned into notifications, with progress and per-row errors."""

    __tablename__ = "notification_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("business_systems.id"), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    total_rows: Mapped[int] = mapped_column(default=0)
    accepted_rows: Mapped[int] = mapped_column(default=0)
    failed_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)


class AccessToken(Base):
    """The shared access_token of an account and the lease deciding who refreshes it (R-OUT-5)."""

    __tablename__ = "access_tokens"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    generation: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)


class ServiceWindow(Base):
    """A follower's customer-service window: opened by an interaction, with a send quota."""

    __tablename__ = "service_windows"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # "message" (48 h, 5 sends) or "event" (1 min, 3 sends) per docs/wechat-protocol.md §8.2.
    kind: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    quota: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
