"""Admin API tables (R-AD-1..11): organisations, users, roles, sessions, audit, menus, materials,
config documents, publications with review, the mass-send quota ledger, customer profiles, saved
audiences and head-office hand-overs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow


class Org(Timestamped, Base):
    """An organisation: the head office (总部, the root) and branch companies (分公司) under it."""

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("orgs.id", ondelete="RESTRICT"), default=None, index=True
    )
    # Materialised path "/1/4/9/": a subtree is one LIKE prefix query on every backend.
    path: Mapped[str] = mapped_column(String(512), default="/", index=True)


user_roles = Table(
    "user_roles",
    Base.metadata,
    Column("user_id", ForeignKey("admin_users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Timestamped, Base):
    """A named set of permissions (e.g. ``menu.edit``), owned by an organisation."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    permissions: Mapped[list[Any]] = mapped_column(default=list)


class AdminUser(Timestamped, Base):
    """An operator of the admin API; password stored as an argon2 hash."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class AuthSession(Base):
    """A login: the refresh token (stored hashed) and whether it was revoked (logout)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    refresh_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")


class AccountGrant(Base):
    """An organisation allowed to publish to an account (multi-account management)."""

    __tablename__ = "account_grants"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True)


class AuditEntry(Base):
    """One write or publication: who, when, what (before/after), from where. Never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    org_id: Mapped[int | None] = mapped_column(default=None, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")


class Menu(Timestamped, Base):
    """A custom menu of an account: the default one or a conditional one (tag/platform rule)."""

    __tablename__ = "menus"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # "default" | "conditional"
    kind: Mapped[str] = mapped_column(String(16), default="default")
    name: Mapped[str] = mapped_column(String(128), default="")
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    matchrule: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    wechat_menuid: Mapped[str | None] = mapped_column(String(64), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[int | None] = mapped_column(default=None)


class Material(Timestamped, Base):
    """素材库 item: text, image, voice, video or news; a file's bytes are :class:`MaterialChunk`
    rows under ``storage_key`` (``libs/common/material_storage.py``)."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(256), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    articles: Mapped[list[Any]] = mapped_column(default=list)
    storage_key: Mapped[str | None] = mapped_column(String(256), default=None)
    filename: Mapped[str] = mapped_column(String(256), default="")
    format: Mapped[str] = mapped_column(String(16), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    duration_s: Mapped[float | None] = mapped_column(default=None)


class MaterialChunk(Base):
    """One piece (at most 256 KiB) of a material's file; ``seq`` orders them from 0."""

    __tablename__ = "material_chunks"

    storage_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ConfigDocument(Timestamped, Base):
    """配置文件: a named YAML/JSON document; every save is a new :class:`ConfigVersion`."""

    __tablename__ = "config_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    format: Mapped[str] = mapped_column(String(8))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    current_version: Mapped[int] = mapped_column(default=1)
    content: Mapped[str] = mapped_column(Text, default="")


class ConfigVersion(Base):
    """One saved version of a config document, with its author and the diff to the previous."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("config_documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(default=None)
    author_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Publication(Timestamped, Base):
    """A message publication (single user, tag group, uploaded list) or a mass send (群发) with
    its review: draft → submitted → approved | rejected → scheduled → sending → done."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="RESTRICT"))
    # "single" | "group" | "list" | "mass"
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256), default="")
    material_id: Mapped[int | None] = mapped_column(
        ForeignKey("materials.id", ondelete="RESTRICT"), default=None
    )
    text: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A saved audience targeted by a group/mass send; its criteria are resolved at send time.
    saved_audience_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_audiences.id", ondelete="SET NULL"), default=None, index=True
    )
    recipient_count: Mapped[int] = mapped_column(default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewer_id: Mapped[int | None] = mapped_column(default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_count: Mapped[int] = mapped_column(default=0)


class PublicationRecipient(Base):
    """One openid a publication went to, with the bus message id to follow its delivery."""

    __tablename__ = "publication_recipients"
    __table_args__ = (UniqueConstraint("publication_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    openid: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class MassQuotaEntry(Base):
    """A mass send's claim on its account's monthly quota (refused beyond the limit)."""

    __tablename__ = "mass_quota_ledger"
    __table_args__ = (UniqueConstraint("publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(7), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerProfile(Timestamped, Base):
    """What the admin side knows about a customer beyond :class:`Customer`: segmentation data."""

    __tablename__ = "customer_profiles"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), default="", index=True)
    region: Mapped[str] = mapped_column(String(64), default="", index=True)
    occupation: Mapped[str] = mapped_column(String(64), default="", index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    subscriptions: Mapped[list[Any]] = mapped_column(default=list)


class SavedAudience(Timestamped, Base):
    """A named customer filter of one account (保存的受众), resolved to openids at send time."""

    __tablename__ = "saved_audiences"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    # {"category", "region", "occupation", "tags": [...], "subscriptions": [...],
    #  "binding_state", "subscribed"}; absent keys mean "any".
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(default=None)


class Handover(Base):
    """A one-click hand-over (R-AD-10): a branch account's customer told to follow head office."""

    __tablename__ = "customer_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    # The OutboundRequested message id: the dispatcher's notification row carries the outcome.
    message_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(default=None)
    org_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
