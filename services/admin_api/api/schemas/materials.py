"""HTTP models of the material library (素材库, R-AD-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.admin_api.api.models import MAX_ID, ReadModel, WriteModel


class Article(BaseModel):
    """One article of a news item (图文)."""

    title: str = Field(min_length=1, max_length=64, description="标题 · title")
    author: str = Field("", max_length=16, description="作者 · author")
    digest: str = Field("", max_length=120, description="摘要 · digest")
    content: str = Field(min_length=1, description="正文（HTML） · body (HTML)")
    cover_material_id: int = Field(
        ge=1, le=MAX_ID, description="封面图片素材 ID · cover image material id"
    )
    content_source_url: str = Field("", max_length=1024, description="原文链接 · source URL")


class TextCreate(WriteModel):
    """A text material."""

    title: str = Field("", max_length=256, description="标题 · title")
    text: str = Field(min_length=1, description="文本（≤ 600 字） · text (≤ 600 characters)")
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属机构 · owning org")


class NewsCreate(WriteModel):
    """A news material (1-8 articles, ≤ 20,000 characters in total)."""

    title: str = Field("", max_length=256, description="标题 · title")
    articles: list[Article] = Field(min_length=1, max_length=8, description="文章 · articles")
    org_id: int | None = Field(None, ge=1, le=MAX_ID, description="所属机构 · owning org")


class MaterialUpdate(WriteModel):
    """Changes to a material (text/articles only for their kinds)."""

    title: str | None = Field(None, max_length=256, description="标题 · title")
    text: str | None = Field(None, min_length=1, description="文本 · text")
    articles: list[Article] | None = Field(
        None, min_length=1, max_length=8, description="文章 · articles"
    )


class MaterialRead(ReadModel):
    """A material (files are fetched from ``/materials/{id}/file``)."""

    id: int = Field(description="ID · id")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构 · org")
    author_id: int | None = Field(ge=1, le=MAX_ID, description="作者 · author")
    kind: str = Field(description="类型 text/image/voice/video/news · kind")
    title: str = Field(description="标题 · title")
    text: str = Field(description="文本 · text")
    articles: list[dict[str, Any]] = Field(description="文章 · articles")
    filename: str = Field(description="原文件名 · original file name")
    format: str = Field(description="格式（按内容识别） · format (sniffed)")
    size: int = Field(description="字节数 · size in bytes")
    sha256: str = Field(description="SHA-256")
    duration_s: float | None = Field(description="时长（秒） · duration in seconds")
    created_at: datetime = Field(description="创建时间 · created at")
    media_url: str | None = Field(
        None,
        description="公开地址（展现服务，长期缓存） · public URL on the presentation routes "
        "(cached for good; image and voice files only)",
    )
