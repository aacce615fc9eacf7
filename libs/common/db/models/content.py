"""Content the admin side keeps (R-AD-4, R-AD-5, R-AD-8): custom menus, the material library
with its files' bytes, and versioned config documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow


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
