"""Writing materials in the library: text and news items."""

from __future__ import annotations

from libs.common.db.models import Material
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.routes.materials.access import materials_router
from services.admin_api.api.routes.materials.checks import check_articles, check_text
from services.admin_api.api.schemas.materials import MaterialRead, NewsCreate, TextCreate
from services.admin_api.audit import record, snapshot
from services.admin_api.repositories import rows
from services.admin_api.scope import org_in_scope

router = materials_router()


@router.post(
    "/text",
    response_model=MaterialRead,
    status_code=201,
    dependencies=[Perm("material.edit")],
    summary="新建文本素材 · create text",
)
async def create_text(
    body: TextCreate, principal: CurrentUser, session: SessionDep
) -> MaterialRead:
    """A text material (≤ 600 characters)."""
    check_text(body.text)
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    material = Material(
        org_id=org_id,
        author_id=principal.user_id,
        kind="text",
        title=body.title,
        text=body.text,
        size=len(body.text.encode()),
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.create", "material", material.id, after=snapshot(material)
    )
    return MaterialRead.model_validate(material)


@router.post(
    "/news",
    response_model=MaterialRead,
    status_code=201,
    dependencies=[Perm("material.edit")],
    summary="新建图文素材 · create news",
)
async def create_news(
    body: NewsCreate, principal: CurrentUser, session: SessionDep
) -> MaterialRead:
    """A news material: articles with cover images, ≤ 20,000 characters."""
    org_id = body.org_id if body.org_id is not None else principal.org_id
    await org_in_scope(session, principal, org_id)
    articles = await check_articles(session, principal, body.articles)
    material = Material(
        org_id=org_id,
        author_id=principal.user_id,
        kind="news",
        title=body.title or body.articles[0].title,
        articles=articles,
    )
    await rows.add(session, material)
    await record(
        session, principal, "material.create", "material", material.id, after=snapshot(material)
    )
    return MaterialRead.model_validate(material)
