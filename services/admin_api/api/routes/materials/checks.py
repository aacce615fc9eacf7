"""The content limits of text and news materials, checked on create and on every edit."""

from __future__ import annotations

from typing import Any

from libs.common.db.models import Material
from services.admin_api.api.deps import SessionDep
from services.admin_api.api.schemas.materials import Article
from services.admin_api.errors import FieldError, FieldErrors, LimitExceeded
from services.admin_api.media_limits import NEWS_MAX_CHARS, TEXT_MAX_CHARS
from services.admin_api.repositories import rows
from services.admin_api.scope import Principal, by_org


def check_text(text: str) -> None:
    """Text materials are at most 600 characters."""
    if len(text) > TEXT_MAX_CHARS:
        raise LimitExceeded(
            f"text is {len(text)} characters; at most {TEXT_MAX_CHARS}",
            limit="text_max_chars",
            field_name="body.text",
            max=TEXT_MAX_CHARS,
        )


async def check_articles(
    session: SessionDep, principal: Principal, articles: list[Article]
) -> list[dict[str, Any]]:
    """News totals ≤ 20,000 characters; every cover is an image material the caller sees."""
    total = sum(len(a.title) + len(a.digest) + len(a.content) for a in articles)
    if total > NEWS_MAX_CHARS:
        raise LimitExceeded(
            f"news is {total} characters; at most {NEWS_MAX_CHARS}",
            limit="news_max_chars",
            field_name="body.articles",
            max=NEWS_MAX_CHARS,
        )
    for i, article in enumerate(articles):
        cover = await rows.get(session, Material, article.cover_material_id)
        if cover is None or cover.kind != "image":
            raise FieldErrors(
                "cover must be an image material",
                [
                    FieldError(
                        f"body.articles[{i}].cover_material_id", "not an image material", "cover"
                    )
                ],
            )
        await by_org(session, principal, Material, cover.id, "material")
    return [a.model_dump() for a in articles]
